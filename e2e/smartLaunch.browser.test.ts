// The real SMART JavaScript client (fhirclient) in headless Chromium: EHR and standalone launches, refresh, refusal.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { createPatientPerson, createStaffPerson } from '../server/src/testing/smartFlow.ts';
import { useTestServer } from '../server/src/testing/testServer.ts';
import { startSmartTestApp, type SmartTestApp } from './smartApp/server.ts';
import {
  createCareTeam,
  createObservation,
  createPatient,
  heading,
  launchChromium,
  publicAppMetadata,
  randomSuffix,
  registerClient,
  unusedTotp,
  waitForHeading,
  waitForUrl,
} from './support.ts';

const ctx = useTestServer();
let app: SmartTestApp;
let browser: Browser;
let context: BrowserContext;
let page: Page;
/** Requests the browser tried to make to any other origin (refused): there must be none. */
let blocked: string[];

beforeAll(async () => {
  [app, browser] = await Promise.all([startSmartTestApp(), launchChromium()]);
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

// A fresh browser profile per test: no cookies or sessionStorage carried between launches.
beforeEach(async () => {
  context = await browser.newContext();
  page = await context.newPage();
  // The app may only talk to itself and to the server under test.
  blocked = [];
  await context.route(
    (url) => url.origin !== app.origin && url.origin !== ctx.server.baseUrl,
    (route) => {
      blocked.push(route.request().url());
      return route.abort();
    }
  );
});
afterEach(async () => {
  await context?.close();
  expect(blocked, 'requests to other origins').toEqual([]);
});

/** launch.html with the client and scope the app should use (fhirclient reads iss, launch and clientId itself). */
function launchUri(clientId: string, scope: string, extra: Record<string, string> = {}): string {
  const url = new URL(app.launchUrl);
  url.search = new URLSearchParams({ clientId, scope, ...extra }).toString();
  return url.toString();
}

/** Waits for index.html to finish FHIR.oauth2.ready() and its reads; returns the status text. */
async function appStatus(): Promise<{ state: string; text: string }> {
  await waitForUrl(page, (url) => url.origin === app.origin && url.pathname === '/index.html');
  const status = page.locator('#status');
  await page.waitForFunction(() => document.getElementById('status')?.dataset.state !== 'loading', undefined, {
    timeout: 15_000,
  });
  return { state: (await status.getAttribute('data-state')) ?? '', text: (await status.textContent()) ?? '' };
}

async function text(selector: string): Promise<string> {
  return ((await page.locator(selector).textContent()) ?? '').trim();
}

/** The app's copy of client.getState('tokenResponse'), tokens removed. */
async function tokenResponse(): Promise<Record<string, unknown>> {
  return JSON.parse(await text('#token-response')) as Record<string, unknown>;
}

async function signInOnLoginPage(email: string, password: string): Promise<void> {
  await waitForUrl(page, (url) => url.origin === ctx.server.baseUrl && url.pathname.startsWith('/oauth2/interaction/'));
  expect(await heading(page)).toBe('Sign in');
  await page.locator('#email').fill(email);
  await page.locator('#password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

describe('EHR launch from the demo EHR launcher', () => {
  test('a clinician launches the app for a care-team patient; fhirclient reads the patient with the token', async () => {
    const suffix = randomSuffix();
    const clientId = `e2e-ehr-${suffix}`;
    const clientName = `E2E EHR app ${suffix}`;
    const scope = 'launch openid fhirUser patient/*.rs';
    await registerClient(
      ctx,
      publicAppMetadata({ clientId, clientName, redirectUri: app.redirectUri, launchUri: launchUri(clientId, scope) })
    );
    const clinician = await createStaffPerson(ctx.server, { role: 'clinician' });
    const patient = await createPatient(ctx, 'Elsie', `Ehrlaunch${suffix}`);
    await createObservation(ctx, patient.id);
    await createCareTeam(ctx, patient.id, clinician.practitionerId);

    await page.goto(`${ctx.server.baseUrl}/oauth2/ehr-launcher`);
    expect(await heading(page)).toBe('EHR launcher (demo)');
    await page.locator('#app').selectOption(clientId);
    await page.locator('#patient').selectOption(patient.id);
    await page.locator('#practitioner').fill(`Practitioner/${clinician.practitionerId}`);
    await page.getByRole('button', { name: 'Launch' }).click();

    // The launcher sent the browser to launch.html with iss and launch; fhirclient went on to /oauth2/authorize.
    await signInOnLoginPage(clinician.email, clinician.password);
    const launched = app.requests.find((r) => r.startsWith('/launch.html') && r.includes(clientId));
    expect(launched).toBeDefined();
    const launchParams = new URL(launched as string, app.origin).searchParams;
    expect(launchParams.get('iss')).toBe(ctx.server.fhirBaseUrl);
    expect(launchParams.get('launch')).toMatch(/.+/);

    await waitForHeading(page, 'Enter your security code');
    await page.locator('#code').fill(unusedTotp(clinician.totpSecret as string));
    await page.getByRole('button', { name: 'Continue' }).click();

    await waitForHeading(page, `Allow ${clientName} to connect?`);
    expect(await page.locator('main').innerText()).toContain(`Patient: Elsie Ehrlaunch${suffix}`);
    await page.getByRole('button', { name: 'Allow', exact: true }).click();

    const status = await appStatus();
    expect(status).toEqual({ state: 'ready', text: 'Ready' });
    expect(await text('#patient-id')).toBe(patient.id);
    expect(await text('#patient-read-id')).toBe(patient.id);
    expect(await text('#patient-name')).toBe(`Elsie Ehrlaunch${suffix}`);
    expect(await text('#observation-count')).toBe('1');
    expect(await text('#fhir-user')).toBe(`Practitioner/${clinician.practitionerId}`);
    expect(await text('#need-patient-banner')).toBe('true');
    const token = await tokenResponse();
    expect(token).toMatchObject({ token_type: 'Bearer', patient: patient.id, need_patient_banner: true });
    expect(String(token.scope).split(' ')).toEqual(
      expect.arrayContaining(['launch', 'openid', 'fhirUser', 'patient/*.rs'])
    );
    // fhirclient replaced the URL: no authorization code is left in the address bar or history.
    expect(new URL(page.url()).searchParams.has('code')).toBe(false);
    // Sign-in, consent, launch and the app's first read in a real browser: over 30 s once on a loaded 2-core CI machine.
  }, 60_000);
});

describe('standalone launch', () => {
  /** A patient opens launch.html with only iss, signs in, and the app shows their own record; returns the person. */
  async function standaloneLaunch(options: { refreshTokenWithClientId: boolean }) {
    const suffix = randomSuffix();
    const clientId = `e2e-standalone-${suffix}`;
    const clientName = `E2E patient app ${suffix}`;
    // First party: no consent page, the browser goes straight back to the app after sign-in.
    await registerClient(
      ctx,
      publicAppMetadata({ clientId, clientName, redirectUri: app.redirectUri, firstParty: true })
    );
    const person = await createPatientPerson(ctx.server, { name: [{ given: ['Sam'], family: `Standalone${suffix}` }] });
    await createObservation(ctx, person.patientId);

    const scope = 'launch/patient openid fhirUser offline_access patient/*.rs';
    await page.goto(
      launchUri(clientId, scope, {
        iss: ctx.server.fhirBaseUrl,
        refreshTokenWithClientId: String(options.refreshTokenWithClientId),
      })
    );
    await signInOnLoginPage(person.email, person.password);

    const status = await appStatus();
    expect(status).toEqual({ state: 'ready', text: 'Ready' });
    expect(await text('#patient-id')).toBe(person.patientId);
    expect(await text('#patient-read-id')).toBe(person.patientId);
    expect(await text('#patient-name')).toBe(`Sam Standalone${suffix}`);
    expect(await text('#observation-count')).toBe('1');
    expect(await text('#fhir-user')).toBe(`Patient/${person.patientId}`);
    expect(await text('#has-refresh-token')).toBe('true');
    const token = await tokenResponse();
    expect(token).toMatchObject({ patient: person.patientId, need_patient_banner: true });
    expect(String(token.scope).split(' ').sort()).toEqual(scope.split(' ').sort());
    return person;
  }

  /** Clicks the app's refresh button: client.refresh(), then a read with the new access token. */
  async function refreshInApp(): Promise<{ state: string; text: string }> {
    await page.getByRole('button', { name: 'Refresh the access token' }).click();
    await page.waitForFunction(
      () => document.getElementById('refresh-result')?.dataset.state !== 'running',
      undefined,
      {
        timeout: 15_000,
      }
    );
    return {
      state: (await page.locator('#refresh-result').getAttribute('data-state')) ?? '',
      text: await text('#refresh-result'),
    };
  }

  test('a patient opens the app and sees their own record; client.refresh() with fhirclient defaults', async () => {
    const person = await standaloneLaunch({ refreshTokenWithClientId: false });
    // fhirclient's default refresh request is what SMART App Launch specifies for public apps:
    // grant_type=refresh_token&refresh_token=… with no client authentication and no client_id.
    const result = await refreshInApp();
    expect(result.state, result.text).toBe('done');
    expect(JSON.parse(result.text)).toEqual({
      refreshTokenWithClientId: false,
      newAccessToken: true,
      newRefreshToken: true,
      scope: expect.stringContaining('offline_access'),
      patientReadAfterRefresh: person.patientId,
    });
  });

  test('client.refresh() with refreshTokenWithClientId gets a new access token and a rotated refresh token', async () => {
    const person = await standaloneLaunch({ refreshTokenWithClientId: true });
    const result = await refreshInApp();
    expect(result.state, result.text).toBe('done');
    expect(JSON.parse(result.text)).toEqual({
      refreshTokenWithClientId: true,
      newAccessToken: true,
      newRefreshToken: true,
      scope: expect.stringContaining('offline_access'),
      patientReadAfterRefresh: person.patientId,
    });
  });
});

describe('refusals seen by the app', () => {
  test('"Do not allow" on the consent page sends the app access_denied, and fhirclient ready() rejects', async () => {
    const suffix = randomSuffix();
    const clientId = `e2e-deny-${suffix}`;
    const clientName = `E2E third-party app ${suffix}`;
    await registerClient(ctx, publicAppMetadata({ clientId, clientName, redirectUri: app.redirectUri }));
    const person = await createPatientPerson(ctx.server);

    await page.goto(
      launchUri(clientId, 'launch/patient openid fhirUser patient/*.rs', { iss: ctx.server.fhirBaseUrl })
    );
    await signInOnLoginPage(person.email, person.password);
    await waitForHeading(page, `Allow ${clientName} to connect?`);
    await page.getByRole('button', { name: 'Do not allow' }).click();

    const status = await appStatus();
    expect(status.state).toBe('error');
    expect(status.text).toContain('access_denied');
    expect(status.text).toContain('The user did not allow the app to connect');
    const back = new URL(page.url()).searchParams;
    expect(back.get('error')).toBe('access_denied');
    expect(back.has('code')).toBe(false);
    expect(await text('#patient-id')).toBe('');
  });

  test("an EHR launch for a patient outside the clinician's care teams stops at the server with a page", async () => {
    const suffix = randomSuffix();
    const clientId = `e2e-ehr-refused-${suffix}`;
    const scope = 'launch openid fhirUser patient/*.rs';
    await registerClient(
      ctx,
      publicAppMetadata({
        clientId,
        clientName: `E2E EHR app ${suffix}`,
        redirectUri: app.redirectUri,
        launchUri: launchUri(clientId, scope),
      })
    );
    const clinician = await createStaffPerson(ctx.server, { role: 'clinician' });
    const stranger = await createPatient(ctx, 'Nora', `Notmine${suffix}`);
    const appVisitsBefore = app.requests.filter((r) => r.startsWith('/index.html')).length;

    await page.goto(`${ctx.server.baseUrl}/oauth2/ehr-launcher`);
    await page.locator('#app').selectOption(clientId);
    await page.locator('#patient').selectOption(stranger.id);
    await page.getByRole('button', { name: 'Launch' }).click();
    await signInOnLoginPage(clinician.email, clinician.password);
    await waitForHeading(page, 'Enter your security code');
    await page.locator('#code').fill(unusedTotp(clinician.totpSecret as string));
    await page.getByRole('button', { name: 'Continue' }).click();

    await waitForHeading(page, 'This app cannot open');
    expect(await page.locator('main').innerText()).toContain('You do not have access to the patient');
    expect(new URL(page.url()).origin).toBe(ctx.server.baseUrl);
    // No code and no redirect: the app was never called back.
    expect(app.requests.filter((r) => r.startsWith('/index.html')).length).toBe(appVisitsBefore);
  });
});
