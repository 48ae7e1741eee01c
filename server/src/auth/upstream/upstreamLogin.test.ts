// Sign-in through upstream OpenID Connect providers, against a second oidc-provider on loopback standing in for them.
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { findAccountByIdentity } from '../../accounts/accountStore.ts';
import type { ServerConfig } from '../../config.ts';
import type { RunningServer } from '../../server.ts';
import { FormBrowser } from '../../testing/formBrowser.ts';
import {
  authorizeUrl,
  createPatientPerson,
  createStaffPerson,
  exchangeCode,
  newPkce,
  redirectParams,
} from '../../testing/smartFlow.ts';
import { adminClient, startTestServer } from '../../testing/testServer.ts';
import { CLINICIAN_APP_CLIENT_ID, PATIENT_APP_CLIENT_ID } from '../appClients.ts';

async function adminToken(server: RunningServer): Promise<string> {
  return (await adminClient(server)).getAccessToken() as string;
}

/** Who the stand-in provider signs in next (its login step needs no page). */
interface UpstreamPerson {
  sub: string;
  nhs_number?: string;
  identity_proofing_level?: string;
  email?: string;
}

/** An OpenID Connect provider like NHS login / CIS2: authorization code + PKCE, ID tokens with their claims. */
async function startUpstream(): Promise<{
  issuer: string;
  setPerson(person: UpstreamPerson): void;
  configure(redirectUri: string): void;
  close(): Promise<void>;
}> {
  let person: UpstreamPerson = { sub: 'nobody' };
  let handler: http.RequestListener = (_req, res) => res.end();
  const server = http.createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    setPerson(next) {
      person = next;
    },
    configure(redirectUri) {
      const provider = new Provider(issuer, {
        clients: [{ client_id: 'rpm', client_secret: 'upstream-secret', redirect_uris: [redirectUri] }],
        scopes: ['openid', 'email', 'nhs_number'],
        claims: {
          openid: ['sub'],
          email: ['email', 'email_verified'],
          nhs_number: ['nhs_number', 'identity_proofing_level'],
        },
        conformIdTokenClaims: false,
        findAccount: (_ctx, id) => ({
          accountId: id,
          claims: () => ({ ...person, sub: id, email_verified: person.email ? true : undefined }),
        }),
        interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
        cookies: { keys: [crypto.randomBytes(16).toString('hex')] },
        features: { devInteractions: { enabled: false } },
        pkce: { required: () => true },
      });
      const callback = provider.callback();
      handler = async (req, res) => {
        const match = /^\/interaction\/([^/?]+)/.exec(req.url ?? '');
        if (!match) {
          callback(req, res);
          return;
        }
        // The person "signs in" and approves at once: the test is about what RPM does with the answer.
        const details = await provider.interactionDetails(req, res);
        if (details.prompt.name === 'login') {
          await provider.interactionFinished(req, res, { login: { accountId: person.sub } });
          return;
        }
        const grant = new provider.Grant({ accountId: person.sub, clientId: 'rpm' });
        grant.addOIDCScope(String(details.params.scope));
        await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } });
      };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('upstream OpenID Connect sign-in', () => {
  let nhsLogin: Awaited<ReturnType<typeof startUpstream>>;
  let cis2: Awaited<ReturnType<typeof startUpstream>>;
  let server: RunningServer & { config: ServerConfig };

  beforeAll(async () => {
    nhsLogin = await startUpstream();
    cis2 = await startUpstream();
    const upstream = [
      {
        id: 'nhs-login',
        label: 'NHS login',
        issuer: nhsLogin.issuer,
        kind: 'patient',
        scope: 'openid email nhs_number',
      },
      { id: 'nhs-cis2', label: 'NHS Care Identity', issuer: cis2.issuer, kind: 'staff', scope: 'openid email' },
    ].map((p) => ({ ...p, clientId: 'rpm', clientSecret: 'upstream-secret' }));
    server = await startTestServer({ RPM_UPSTREAM_OIDC: JSON.stringify(upstream) });
    nhsLogin.configure(`${server.baseUrl}/oauth2/upstream/callback`);
    cis2.configure(`${server.baseUrl}/oauth2/upstream/callback`);
  });
  afterAll(async () => {
    await server?.close();
    await nhsLogin?.close();
    await cis2?.close();
  });

  /** From the app's authorization request through the upstream button; returns where the browser ended. */
  async function signInUpstream(clientId: string, redirectUri: string, scope: string, providerId: string) {
    const pkce = newPkce();
    const browser = new FormBrowser(redirectUri);
    const login = await browser.get(authorizeUrl(server, { clientId, redirectUri, scope, pkce }));
    const button = new RegExp(`href="([^"]+/upstream/${providerId})"`).exec(login.text)?.[1];
    expect(button, 'the sign-in page offers the upstream provider').toBeTruthy();
    const end = await browser.get(new URL(button as string, login.url).toString());
    return { end, pkce };
  }

  test('NHS login: a verified (P9) NHS number that we hold signs the patient in and links their account', async () => {
    const nhsNumber = '9434765919';
    const patient = await createPatientPerson(server, {
      identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: nhsNumber }],
    });
    const sub = `nhs-${crypto.randomBytes(4).toString('hex')}`;
    nhsLogin.setPerson({ sub, nhs_number: nhsNumber, identity_proofing_level: 'P9' });
    const redirectUri = server.config.patientAppUrl;
    const { end, pkce } = await signInUpstream(
      PATIENT_APP_CLIENT_ID,
      redirectUri,
      'openid fhirUser launch/patient patient/*.rs',
      'nhs-login'
    );
    const code = redirectParams(end).get('code') as string;
    const token = await exchangeCode(server, {
      code,
      redirectUri,
      clientId: PATIENT_APP_CLIENT_ID,
      verifier: pkce.verifier,
    });
    expect(token.status).toBe(200);
    expect(token.body.patient).toBe(patient.patientId);
    const linked = await findAccountByIdentity(server.pool, nhsLogin.issuer, sub);
    // The patient already had an account (createPatientPerson made one): NHS login is linked to it.
    expect(linked?.id).toBe(patient.account.id);

    // The next sign-in goes straight through the link.
    const again = await signInUpstream(PATIENT_APP_CLIENT_ID, redirectUri, 'launch/patient patient/*.rs', 'nhs-login');
    expect(redirectParams(again.end).get('code')).toBeTruthy();
  });

  test('NHS login: a patient we hold who has no account yet gets one, without a password', async () => {
    const nhsNumber = '9434765870';
    const created = await fetch(`${server.fhirBaseUrl}/Patient`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await adminToken(server)}`, 'content-type': 'application/fhir+json' },
      body: JSON.stringify({
        resourceType: 'Patient',
        identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: nhsNumber }],
      }),
    });
    const patientId = ((await created.json()) as { id: string }).id;
    const sub = `nhs-${crypto.randomBytes(4).toString('hex')}`;
    nhsLogin.setPerson({ sub, nhs_number: nhsNumber, identity_proofing_level: 'P9', email: 'new.patient@example.org' });
    const { end } = await signInUpstream(
      PATIENT_APP_CLIENT_ID,
      server.config.patientAppUrl,
      'patient/*.rs',
      'nhs-login'
    );
    expect(redirectParams(end).get('code')).toBeTruthy();
    const account = await findAccountByIdentity(server.pool, nhsLogin.issuer, sub);
    expect(account).toMatchObject({ role: 'patient', fhirUser: `Patient/${patientId}`, hasPassword: false });
  });

  test('NHS login: an NHS number we do not hold, or one verified only to P5, is refused', async () => {
    nhsLogin.setPerson({ sub: 'unknown-1', nhs_number: '9999999999', identity_proofing_level: 'P9' });
    const unknown = await signInUpstream(
      PATIENT_APP_CLIENT_ID,
      server.config.patientAppUrl,
      'patient/*.rs',
      'nhs-login'
    );
    expect(unknown.end.status).toBe(403);
    expect(unknown.end.text).toContain('not linked to a patient record');

    nhsLogin.setPerson({ sub: 'weak-1', nhs_number: '9434765919', identity_proofing_level: 'P5' });
    const weak = await signInUpstream(PATIENT_APP_CLIENT_ID, server.config.patientAppUrl, 'patient/*.rs', 'nhs-login');
    expect(weak.end.status).toBe(403);
    expect(weak.end.text).toContain('fully verified (P9)');
  });

  test('CIS2: a staff identity with the email of a clinician account signs them in', async () => {
    const clinician = await createStaffPerson(server);
    cis2.setPerson({ sub: `cis2-${crypto.randomBytes(4).toString('hex')}`, email: clinician.email });
    const redirectUri = server.config.clinicianAppUrl;
    const { end, pkce } = await signInUpstream(
      CLINICIAN_APP_CLIENT_ID,
      redirectUri,
      'openid fhirUser user/*.rs',
      'nhs-cis2'
    );
    const code = redirectParams(end).get('code') as string;
    const token = await exchangeCode(server, {
      code,
      redirectUri,
      clientId: CLINICIAN_APP_CLIENT_ID,
      verifier: pkce.verifier,
    });
    expect(token.status).toBe(200);

    cis2.setPerson({ sub: 'stranger', email: 'stranger@example.org' });
    const stranger = await signInUpstream(CLINICIAN_APP_CLIENT_ID, redirectUri, 'user/*.rs', 'nhs-cis2');
    expect(stranger.end.status).toBe(403);
  });

  test('a forged callback (unknown state) changes nothing', async () => {
    const response = await fetch(`${server.baseUrl}/oauth2/upstream/callback?code=x&state=forged`);
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('expired');
  });
});
