// After the SMART redirect: fhirclient finishes the token exchange; a MedplumClient then talks FHIR with that token.
import type { MedplumClient, ProfileResource } from '@medplum/core';
import FHIR from 'fhirclient';
import { SmartMedplumClient } from './SmartMedplumClient.ts';

/** What the launch gave the app: who signed in, the patient of an EHR launch and how to show it. */
/** fhirclient's client after ready(). */
type Client = Awaited<ReturnType<typeof FHIR.oauth2.ready>>;

export interface LaunchContext {
  /** The signed-in user's FHIR resource, e.g. `Practitioner/123` (from the id_token's fhirUser). */
  fhirUser?: string;
  /** The patient id of an EHR launch; absent in a standalone launch. */
  patient?: string;
  /** SMART `need_patient_banner`: false when the EHR already shows the patient (default true). */
  needPatientBanner: boolean;
  /** SMART `smart_style_url`, when the EHR gave one. */
  styleUrl?: string;
  /**
   * The server may offer websocket Subscriptions (laid out as ours and Medplum's, `<root>/fhir/R4`, whose
   * `$get-ws-binding-token` gives the socket's URL): the worklist tries live updates, and says so if refused.
   */
  liveUpdates?: boolean;
}

export interface SmartSession {
  medplum: MedplumClient;
  context: LaunchContext;
  /**
   * Settles once the signed-in user's own resource has been read (or could not be): started with the session, not
   * awaited by it, so the first screen's requests need not wait for it.
   */
  userLoaded: Promise<void>;
}

/** Refresh this long before the access token expires. */
const REFRESH_MARGIN_MS = 60_000;

function launchContext(client: Client): LaunchContext {
  const token = client.state.tokenResponse ?? {};
  return {
    fhirUser: client.getFhirUser() ?? undefined,
    patient: typeof token.patient === 'string' ? token.patient : undefined,
    needPatientBanner: token.need_patient_banner !== false,
    styleUrl: typeof token.smart_style_url === 'string' ? token.smart_style_url : undefined,
  };
}

/** Servers laid out as ours and Medplum's (`<root>/fhir/R4`): their websocket Subscriptions are at `<root>/ws/…`. */
const MEDPLUM_LAYOUT = /^(.*\/)fhir\/R4\/?$/;

/**
 * A MedplumClient on the launch's FHIR base (`iss`) that uses the SMART access token; no caching of clinical data.
 * On a `<root>/fhir/R4` server its base is the root, as MedplumClient's websocket Subscriptions expect.
 */
function fhirClientFor(client: Client, onUnauthenticated: () => void): { medplum: SmartMedplumClient; live: boolean } {
  const iss = client.state.serverUrl;
  const layout = MEDPLUM_LAYOUT.exec(iss);
  const medplum = new SmartMedplumClient({
    baseUrl: layout ? layout[1] : iss.replace(/\/?$/, '/'),
    fhirUrlPath: layout ? 'fhir/R4' : '',
    cacheTime: 0,
    onUnauthenticated,
  });
  medplum.setAccessToken(client.state.tokenResponse?.access_token as string);
  return { medplum, live: layout !== null };
}

/**
 * Keeps the MedplumClient's token fresh: refreshes with fhirclient (refresh token, offline_access) shortly before
 * expiry. Without a refresh token, expiry sends the user back to launch (onUnauthenticated).
 */
function scheduleRefresh(client: Client, medplum: MedplumClient, onExpired: () => void): void {
  const plan = (): void => {
    const expiresAt = client.state.expiresAt;
    if (!expiresAt) {
      return;
    }
    const wait = Math.max(expiresAt * 1000 - Date.now() - REFRESH_MARGIN_MS, 5_000);
    setTimeout(async () => {
      try {
        await client.refresh();
        medplum.setAccessToken(client.state.tokenResponse?.access_token as string);
        plan();
      } catch {
        onExpired();
      }
    }, wait);
  };
  plan();
}

/**
 * Completes the SMART launch (FHIR.oauth2.ready) and returns the app's FHIR client and launch context; the user's own
 * resource (a Practitioner, for @medplum/react components that ask for the profile) is being read meanwhile.
 */
export async function startSmartSession(onExpired: () => void): Promise<SmartSession> {
  const client = await FHIR.oauth2.ready();
  const { medplum, live } = fhirClientFor(client, onExpired);
  scheduleRefresh(client, medplum, onExpired);
  const context = launchContext(client);
  const userLoaded = context.fhirUser
    ? medplum
        .readReference<ProfileResource>({ reference: context.fhirUser })
        .then((user) => medplum.setUser(user))
        .catch(() => medplum.setUser(undefined))
    : Promise.resolve();
  return { medplum, context: { ...context, liveUpdates: live }, userLoaded };
}
