// SMART App Launch over real HTTP: standalone and EHR launches with PKCE, the token response, and their refusals.
import type { CareTeam, Encounter } from '@medplum/fhirtypes';
import { decodeJwt } from 'jose';
import { beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { FormBrowser, formAction } from '../testing/formBrowser.ts';
import {
  authorizeUrl,
  createPatientPerson,
  createStaffPerson,
  currentTotp,
  exchangeCode,
  newPkce,
  nextTotp,
  redirectParams,
  signIn,
  type TestPerson,
} from '../testing/smartFlow.ts';
import { useTestServer } from '../testing/testServer.ts';
import { CLINICIAN_APP_CLIENT_ID, PATIENT_APP_CLIENT_ID } from './appClients.ts';

const ctx = useTestServer();

const PATIENT_SCOPE = 'openid fhirUser offline_access launch/patient patient/*.rs';

/** Signs a person in through the patient app's standalone launch and returns the code exchange's result. */
async function standaloneLaunch(person: TestPerson, scope = PATIENT_SCOPE) {
  const redirectUri = ctx.server.config.patientAppUrl;
  const pkce = newPkce();
  const browser = new FormBrowser(redirectUri);
  const login = await browser.get(
    authorizeUrl(ctx.server, { clientId: PATIENT_APP_CLIENT_ID, redirectUri, scope, pkce, state: 's1' })
  );
  const back = redirectParams(await signIn(browser, login, person));
  return exchangeCode(ctx.server, {
    code: back.get('code') as string,
    redirectUri,
    clientId: PATIENT_APP_CLIENT_ID,
    verifier: pkce.verifier,
  });
}

describe('standalone launch of the patient app', () => {
  test('a patient signs in and the app gets a token for their own record', async () => {
    const patient = await createPatientPerson(ctx.server);
    const token = await standaloneLaunch(patient);
    expect(token.status).toBe(200);
    expect(token.headers.get('cache-control')).toContain('no-store');
    expect(token.headers.get('pragma')).toBe('no-cache');
    expect(token.body).toMatchObject({ token_type: 'Bearer', patient: patient.patientId, need_patient_banner: true });
    expect(String(token.body.scope).split(' ').sort()).toEqual(PATIENT_SCOPE.split(' ').sort());
    expect(typeof token.body.refresh_token).toBe('string');
    expect(token.body.smart_style_url).toBe(`${ctx.server.baseUrl}/oauth2/smart-style.json`);
    const idToken = decodeJwt(token.body.id_token as string);
    expect(idToken.fhirUser).toBe(`${ctx.server.fhirBaseUrl}/Patient/${patient.patientId}`);

    const read = await fetch(`${ctx.server.fhirBaseUrl}/Patient/${patient.patientId}`, {
      headers: { authorization: `Bearer ${token.body.access_token}` },
    });
    expect(read.status).toBe(200);
    const style = await fetch(token.body.smart_style_url as string);
    expect(await style.json()).toHaveProperty('color_highlight');
  });

  test('without offline_access or online_access there is no refresh token', async () => {
    const patient = await createPatientPerson(ctx.server);
    const token = await standaloneLaunch(patient, 'openid fhirUser launch/patient patient/Observation.rs');
    expect(token.status).toBe(200);
    expect(token.body.refresh_token).toBeUndefined();
    expect(token.body.scope).toBe('openid fhirUser launch/patient patient/Observation.rs');
  });

  test('online_access also gives a refresh token (one that ends with the sign-in session)', async () => {
    const patient = await createPatientPerson(ctx.server);
    const token = await standaloneLaunch(patient, 'openid launch/patient online_access patient/*.read');
    expect(token.status).toBe(200);
    expect(typeof token.body.refresh_token).toBe('string');
    expect(String(token.body.scope).split(' ')).toEqual(
      expect.arrayContaining(['online_access', 'patient/*.read', 'launch/patient'])
    );
  });

  test('scopes the app is not registered for are left out of the grant', async () => {
    const patient = await createPatientPerson(ctx.server);
    const token = await standaloneLaunch(patient, 'launch/patient patient/*.rs system/*.* user/Patient.cruds');
    expect(token.status).toBe(200);
    expect(String(token.body.scope).split(' ').sort()).toEqual(['launch/patient', 'patient/*.rs']);
  });
});

describe('clinicians: MFA and the patient picker', () => {
  let clinician: TestPerson & { practitionerId: string };
  let patientId: string;

  beforeAll(async () => {
    patientId = (await createPatientPerson(ctx.server, { name: [{ given: ['Petra'], family: 'Pickable' }] })).patientId;
  });

  /** Each test signs in a new clinician (TOTP codes are single-use) who cares for the patient. */
  beforeEach(async () => {
    clinician = await createStaffPerson(ctx.server);
    const careTeam: CareTeam = {
      resourceType: 'CareTeam',
      status: 'active',
      subject: { reference: `Patient/${patientId}` },
      participant: [{ member: { reference: `Practitioner/${clinician.practitionerId}` } }],
    };
    expect((await ctx.api('CareTeam', { method: 'POST', body: JSON.stringify(careTeam) })).status).toBe(201);
  });

  test('a clinician needs the security code, then chooses one of their patients', async () => {
    const redirectUri = ctx.server.config.clinicianAppUrl;
    const pkce = newPkce();
    const browser = new FormBrowser(redirectUri);
    const login = await browser.get(
      authorizeUrl(ctx.server, {
        clientId: CLINICIAN_APP_CLIENT_ID,
        redirectUri,
        scope: 'openid fhirUser launch/patient patient/*.rs user/*.rs',
        pkce,
      })
    );
    const mfa = await browser.post(formAction(login, '/login'), {
      email: clinician.email,
      password: clinician.password,
    });
    expect(mfa.text).toContain('Enter your security code');
    const wrong = await browser.post(formAction(mfa, '/mfa'), { code: '000000' });
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('The security code is not right');
    const picker = await browser.post(formAction(wrong, '/mfa'), { code: nextTotp(clinician) });
    expect(picker.text).toContain('Choose a patient');
    expect(picker.text).toContain('Petra Pickable');
    const search = await browser.get(`${formAction(picker, '').replace(/\/$/, '')}?q=Pickable`);
    expect(search.text).toContain('Petra Pickable');
    const back = redirectParams(await browser.post(formAction(search, '/patient'), { patient: patientId }));
    const token = await exchangeCode(ctx.server, {
      code: back.get('code') as string,
      redirectUri,
      clientId: CLINICIAN_APP_CLIENT_ID,
      verifier: pkce.verifier,
    });
    expect(token.status).toBe(200);
    expect(token.body.patient).toBe(patientId);
    expect(decodeJwt(token.body.id_token as string).fhirUser).toBe(
      `${ctx.server.fhirBaseUrl}/Practitioner/${clinician.practitionerId}`
    );
  });

  test('a patient outside the clinician’s reach cannot be chosen', async () => {
    const stranger = await createPatientPerson(ctx.server);
    const redirectUri = ctx.server.config.clinicianAppUrl;
    const browser = new FormBrowser(redirectUri);
    const login = await browser.get(
      authorizeUrl(ctx.server, {
        clientId: CLINICIAN_APP_CLIENT_ID,
        redirectUri,
        scope: 'launch/patient patient/*.rs',
        pkce: newPkce(),
      })
    );
    const picker = await signIn(browser, login, clinician);
    expect(picker.text).not.toContain(stranger.patientId);
    const again = await browser.post(formAction(picker, '/patient'), { patient: stranger.patientId });
    expect(again.status).toBe(400);
    expect(again.text).toContain('Choose a patient');
    expect(again.text).toContain('not one you can open');
  });

  test('EHR launch: the EHR’s patient and encounter reach the app', async () => {
    const encounter = (await (
      await ctx.api('Encounter', {
        method: 'POST',
        body: JSON.stringify({
          resourceType: 'Encounter',
          status: 'in-progress',
          class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'VR' },
          subject: { reference: `Patient/${patientId}` },
        } satisfies Encounter),
      })
    ).json()) as Encounter;
    const created = await ctx.api('../../oauth2/launch', {
      method: 'POST',
      body: JSON.stringify({ patient: patientId, encounter: encounter.id, practitioner: clinician.fhirUser }),
      headers: { 'content-type': 'application/json' },
    });
    expect(created.status).toBe(201);
    const { launch, iss } = (await created.json()) as { launch: string; iss: string };
    expect(iss).toBe(ctx.server.fhirBaseUrl);

    const redirectUri = ctx.server.config.clinicianAppUrl;
    const pkce = newPkce();
    const browser = new FormBrowser(redirectUri);
    const login = await browser.get(
      authorizeUrl(ctx.server, {
        clientId: CLINICIAN_APP_CLIENT_ID,
        redirectUri,
        scope: 'launch openid fhirUser patient/*.rs',
        launch,
        pkce,
      })
    );
    const back = redirectParams(await signIn(browser, login, clinician));
    const token = await exchangeCode(ctx.server, {
      code: back.get('code') as string,
      redirectUri,
      clientId: CLINICIAN_APP_CLIENT_ID,
      verifier: pkce.verifier,
    });
    expect(token.body).toMatchObject({ patient: patientId, encounter: encounter.id });
  });

  test('an EHR launch made for another practitioner is refused', async () => {
    const other = await createStaffPerson(ctx.server);
    const created = await ctx.api('../../oauth2/launch', {
      method: 'POST',
      body: JSON.stringify({ patient: patientId, practitioner: other.fhirUser }),
      headers: { 'content-type': 'application/json' },
    });
    const { launch } = (await created.json()) as { launch: string };
    const redirectUri = ctx.server.config.clinicianAppUrl;
    const browser = new FormBrowser(redirectUri);
    const login = await browser.get(
      authorizeUrl(ctx.server, {
        clientId: CLINICIAN_APP_CLIENT_ID,
        redirectUri,
        scope: 'launch patient/*.rs',
        launch,
        pkce: newPkce(),
      })
    );
    const refused = await signIn(browser, login, clinician);
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('started by another user');
  });
});

describe('authorization requests that must not produce a code', () => {
  const redirectUri = () => ctx.server.config.patientAppUrl;

  async function authorize(extra: Record<string, string | undefined>, pkce = true) {
    const browser = new FormBrowser(redirectUri());
    return browser.get(
      authorizeUrl(ctx.server, {
        clientId: PATIENT_APP_CLIENT_ID,
        redirectUri: redirectUri(),
        scope: PATIENT_SCOPE,
        ...(pkce ? { pkce: newPkce() } : {}),
        extra,
      })
    );
  }

  test('no PKCE challenge: invalid_request back to the app', async () => {
    const back = redirectParams(await authorize({}, false));
    expect(back.get('error')).toBe('invalid_request');
    expect(back.get('code')).toBeNull();
  });

  test('PKCE method plain: refused', async () => {
    const back = redirectParams(await authorize({ code_challenge_method: 'plain' }));
    expect(back.get('error')).toBe('invalid_request');
  });

  test('a wrong aud: refused, no code', async () => {
    const back = redirectParams(await authorize({ aud: 'https://evil.example/fhir' }));
    expect(back.get('error')).toBe('invalid_request');
    expect(back.get('error_description')).toContain('aud');
    expect(back.get('code')).toBeNull();
  });

  test('a missing aud or state: refused', async () => {
    expect(redirectParams(await authorize({ aud: undefined })).get('error')).toBe('invalid_request');
    const noState = new FormBrowser(redirectUri());
    const url = new URL(
      authorizeUrl(ctx.server, {
        clientId: PATIENT_APP_CLIENT_ID,
        redirectUri: redirectUri(),
        scope: PATIENT_SCOPE,
        pkce: newPkce(),
      })
    );
    url.searchParams.delete('state');
    expect(redirectParams(await noState.get(url.toString())).get('error')).toBe('invalid_request');
  });

  test('a redirect_uri that is not registered exactly: an error page, never a redirect', async () => {
    for (const wrong of [`${redirectUri()}x`, redirectUri().replace(/\/$/, ''), 'https://evil.example/']) {
      const page = await authorize({ redirect_uri: wrong });
      expect(page.status).toBe(400);
      expect(page.headers.get('content-type')).toContain('text/html');
      expect(page.text).toContain('redirect_uri');
    }
  });

  test('an unknown EHR launch value: refused', async () => {
    const back = redirectParams(await authorize({ launch: 'not-a-launch', scope: 'launch patient/*.rs' }));
    expect(back.get('error')).toBe('invalid_request');
    expect(back.get('error_description')).toContain('launch');
  });

  test('a wrong or missing code_verifier, a reused code: invalid_grant', async () => {
    const patient = await createPatientPerson(ctx.server);
    const pkce = newPkce();
    const browser = new FormBrowser(redirectUri());
    const login = await browser.get(
      authorizeUrl(ctx.server, {
        clientId: PATIENT_APP_CLIENT_ID,
        redirectUri: redirectUri(),
        scope: PATIENT_SCOPE,
        pkce,
      })
    );
    const code = redirectParams(await signIn(browser, login, patient)).get('code') as string;
    const input = { code, redirectUri: redirectUri(), clientId: PATIENT_APP_CLIENT_ID };
    const missing = await exchangeCode(ctx.server, input);
    expect(missing.status).toBe(400);
    expect(missing.body.error).toBe('invalid_grant');
    const wrong = await exchangeCode(ctx.server, { ...input, verifier: newPkce().verifier });
    expect(wrong.body.error).toBe('invalid_grant');
  });

  test('a code is single-use', async () => {
    const patient = await createPatientPerson(ctx.server);
    const pkce = newPkce();
    const browser = new FormBrowser(redirectUri());
    const login = await browser.get(
      authorizeUrl(ctx.server, {
        clientId: PATIENT_APP_CLIENT_ID,
        redirectUri: redirectUri(),
        scope: PATIENT_SCOPE,
        pkce,
      })
    );
    const code = redirectParams(await signIn(browser, login, patient)).get('code') as string;
    const input = { code, redirectUri: redirectUri(), clientId: PATIENT_APP_CLIENT_ID, verifier: pkce.verifier };
    expect((await exchangeCode(ctx.server, input)).status).toBe(200);
    const again = await exchangeCode(ctx.server, input);
    expect(again.status).toBe(400);
    expect(again.body.error).toBe('invalid_grant');
  });
});

describe('sign-in protection', () => {
  test('five wrong passwords lock the account, even against the right one', async () => {
    const patient = await createPatientPerson(ctx.server);
    const redirectUri = ctx.server.config.patientAppUrl;
    const browser = new FormBrowser(redirectUri);
    let page = await browser.get(
      authorizeUrl(ctx.server, { clientId: PATIENT_APP_CLIENT_ID, redirectUri, scope: PATIENT_SCOPE, pkce: newPkce() })
    );
    for (let attempt = 1; attempt <= 5; attempt++) {
      page = await browser.post(formAction(page, '/login'), { email: patient.email, password: `wrong-${attempt}` });
      expect(page.status).toBe(attempt < 5 ? 401 : 429);
    }
    expect(page.text).toContain('Too many attempts');
    const right = await browser.post(formAction(page, '/login'), { email: patient.email, password: patient.password });
    expect(right.status).toBe(429);
  });

  test('an unknown email gets the same answer as a wrong password', async () => {
    const redirectUri = ctx.server.config.patientAppUrl;
    const browser = new FormBrowser(redirectUri);
    const login = await browser.get(
      authorizeUrl(ctx.server, { clientId: PATIENT_APP_CLIENT_ID, redirectUri, scope: PATIENT_SCOPE, pkce: newPkce() })
    );
    const page = await browser.post(formAction(login, '/login'), {
      email: 'nobody@example.org',
      password: 'whatever-it-is-1',
    });
    expect(page.status).toBe(401);
    expect(page.text).toContain('The email address or password is not right');
  });

  test('a clinician without an authenticator must set one up before signing in', async () => {
    const clinician = await createStaffPerson(ctx.server, { enrolMfa: false });
    const redirectUri = ctx.server.config.clinicianAppUrl;
    const browser = new FormBrowser(redirectUri);
    const login = await browser.get(
      authorizeUrl(ctx.server, {
        clientId: CLINICIAN_APP_CLIENT_ID,
        redirectUri,
        scope: 'openid fhirUser user/*.rs',
        pkce: newPkce(),
      })
    );
    const enrol = await browser.post(formAction(login, '/login'), {
      email: clinician.email,
      password: clinician.password,
    });
    expect(enrol.text).toContain('Set up your security code');
    expect(enrol.text).toContain('<svg');
    const secret = /id="totp-secret">([A-Z2-7]+)</.exec(enrol.text)?.[1] as string;
    const back = redirectParams(await browser.post(formAction(enrol, '/enrol'), { code: currentTotp(secret) }));
    expect(back.get('code')).toBeTruthy();
  });
});
