// After the SMART redirect: fhirclient finishes the token exchange; a MedplumClient then talks FHIR with that token.
import type { MedplumClient, ProfileResource } from '@medplum/core';
import FHIR from 'fhirclient';
import { SmartMedplumClient } from './SmartMedplumClient.ts';

/** fhirclient's client after ready(). */
type Client = Awaited<ReturnType<typeof FHIR.oauth2.ready>>;

/** What the launch gave the app: the signed-in patient. */
export interface LaunchContext {
  /** The patient's id (SMART `patient` of a `launch/patient` launch): every screen works on this record only. */
  patientId: string;
  /** The signed-in user's FHIR resource, e.g. `Patient/123` (from the id_token's fhirUser). */
  fhirUser?: string;
}

export interface SmartSession {
  medplum: MedplumClient;
  context: LaunchContext;
}

/** Refresh this long before the access token expires. */
const REFRESH_MARGIN_MS = 60_000;
/** When a refresh fails because the phone is offline, try again this often (the session is kept meanwhile). */
const OFFLINE_RETRY_MS = 30_000;

/** Servers laid out as ours and Medplum's (`<root>/fhir/R4`): MedplumClient's base is the root. */
const MEDPLUM_LAYOUT = /^(.*\/)fhir\/R4\/?$/;

function fhirClientFor(client: Client, onUnauthenticated: () => void): SmartMedplumClient {
  const iss = client.state.serverUrl;
  const layout = MEDPLUM_LAYOUT.exec(iss);
  const medplum = new SmartMedplumClient({
    baseUrl: layout ? layout[1] : iss.replace(/\/?$/, '/'),
    fhirUrlPath: layout ? 'fhir/R4' : '',
    cacheTime: 0,
    onUnauthenticated,
  });
  medplum.setAccessToken(client.state.tokenResponse?.access_token as string);
  return medplum;
}

/**
 * Keeps the MedplumClient's token fresh: refreshes with fhirclient (refresh token, offline_access) shortly before
 * expiry. Offline, it tries again later (readings wait in the outbox); a refused refresh ends the session.
 */
function scheduleRefresh(client: Client, medplum: MedplumClient, onExpired: () => void): void {
  const plan = (wait: number): void => {
    setTimeout(async () => {
      try {
        await client.refresh();
        medplum.setAccessToken(client.state.tokenResponse?.access_token as string);
        next();
      } catch {
        if (!navigator.onLine) {
          plan(OFFLINE_RETRY_MS);
        } else {
          onExpired();
        }
      }
    }, wait);
  };
  const next = (): void => {
    const expiresAt = client.state.expiresAt;
    if (expiresAt) {
      plan(Math.max(expiresAt * 1000 - Date.now() - REFRESH_MARGIN_MS, 5_000));
    }
  };
  next();
}

/** Completes the SMART launch (FHIR.oauth2.ready) and returns the app's FHIR client and the signed-in patient. */
export async function startSmartSession(onExpired: () => void): Promise<SmartSession> {
  const client = await FHIR.oauth2.ready();
  const patientId = client.patient.id;
  if (!patientId) {
    throw new Error('The sign-in did not say which patient you are. Sign in again.');
  }
  const medplum = fhirClientFor(client, onExpired);
  scheduleRefresh(client, medplum, onExpired);
  const fhirUser = client.getFhirUser() ?? undefined;
  medplum.setUser(
    await medplum
      .readReference<ProfileResource>({ reference: fhirUser ?? `Patient/${patientId}` })
      .catch(() => undefined)
  );
  return { medplum, context: { patientId, fhirUser } };
}
