// The headline journey across both apps: a patient's red SpO2 typed at home reaches the clinician live, who acknowledges it.
import { mkdirSync } from 'node:fs';
import type { AuditEvent, DetectedIssue, Observation } from '@medplum/fhirtypes';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { nextTotp } from '../server/src/testing/smartFlow.ts';
import { useTestServer } from '../server/src/testing/testServer.ts';
import { registerClinicianApp } from './clinicianAppClient.ts';
import { createJourneyWard, type HomePatient, type JourneyWard } from './journeyWard.ts';
import { registerPatientApp } from './patientAppClient.ts';
import { launchChromium, waitForHeading, waitForUrl } from './support.ts';

/**
 * The built-in alert bots score the reading (RPM_BUILT_IN_BOTS, as clinicianLiveUpdates.browser.test.ts); 90-second
 * access tokens, so both apps refresh their tokens (and the worklist rebinds its websocket) during the journey.
 */
const ACCESS_TOKEN_TTL_SECONDS = 90;
const ctx = useTestServer({ RPM_BUILT_IN_BOTS: 'true', RPM_ACCESS_TOKEN_TTL: String(ACCESS_TOKEN_TTL_SECONDS) });
/** Two apps, two sign-ins, a bot run: generous for a loaded 2-core machine (alone: about 30 s). */
const TEST_TIMEOUT = 300_000;
/** From Send to the red row: the outbox's create, the bot job, the alert, the notification, the worklist's reload. */
const LIVE_TIMEOUT = 60_000;
const POLL = { timeout: 30_000 };
const ARTIFACTS = new URL('./artifacts/journey/', import.meta.url).pathname;
const LIVE_WORDS = 'Live: updates appear as they arrive.';
const ALERT_ACTION_SYSTEM = 'http://rpm-platform.org/fhir/CodeSystem/rpm-alert-action';
const ALERT_IDENTIFIER_SYSTEM = 'http://rpm-platform.org/fhir/identifier/alert';
const NOTE = 'Phoned Rosa: she is comfortable at rest, repeating her oxygen level in one hour';

interface AppWindow {
  context: BrowserContext;
  page: Page;
  blocked: string[];
  pageErrors: string[];
}

let browser: Browser;
let clinicianApp: { clientId: string; appUrl: string };
let patientApp: { clientId: string; appUrl: string };
let clinician: AppWindow;
let patient: AppWindow;
/** Document (page) loads in the clinician's main frame after the worklist opened: the live update must cause none. */
let clinicianDocumentLoads: string[];

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launchChromium();
  clinicianApp = await registerClinicianApp(ctx, 'journey');
  patientApp = await registerPatientApp(ctx, 'journey');
}, 300_000);
afterAll(async () => {
  await browser?.close();
});

/** A browser context of its own (its own cookies and storage, as on another device) allowed only the server. */
async function openWindow(options: Parameters<Browser['newContext']>[0]): Promise<AppWindow> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  const window: AppWindow = { context, page, blocked: [], pageErrors: [] };
  page.on('pageerror', (err) => window.pageErrors.push(err.message));
  await context.route(
    (url) => url.origin !== ctx.server.baseUrl,
    (route) => {
      window.blocked.push(route.request().url());
      return route.abort();
    }
  );
  return window;
}

beforeEach(async () => {
  clinician = await openWindow({ viewport: { width: 1280, height: 800 } });
  // A UK patient's phone (the heart-failure plan's schedule is in Europe/London).
  patient = await openWindow({
    viewport: { width: 360, height: 740 },
    isMobile: true,
    hasTouch: true,
    timezoneId: 'Europe/London',
    locale: 'en-GB',
  });
  clinicianDocumentLoads = [];
  clinician.page.on('request', (request) => {
    if (request.resourceType() === 'document' && request.frame() === clinician.page.mainFrame()) {
      clinicianDocumentLoads.push(request.url());
    }
  });
});
afterEach(async () => {
  await clinician?.context.close();
  await patient?.context.close();
  expect(clinician.blocked, 'clinician app: requests to other origins').toEqual([]);
  expect(patient.blocked, 'patient app: requests to other origins').toEqual([]);
  expect(clinician.pageErrors, 'clinician app: uncaught errors').toEqual([]);
  expect(patient.pageErrors, 'patient app: uncaught errors').toEqual([]);
});

async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });
}

/** The clinician's standalone launch: sign-in, security code, the caseload, live. */
async function clinicianSignsIn(ward: JourneyWard['ward']): Promise<void> {
  const { page } = clinician;
  await page.goto(`${clinicianApp.appUrl}launch.html?clientId=${clinicianApp.clientId}`);
  await waitForUrl(page, (url) => url.pathname.startsWith('/oauth2/interaction/'), 30_000);
  await page.locator('#email').fill(ward.clinician.email);
  await page.locator('#password').fill(ward.clinician.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await waitForHeading(page, 'Enter your security code', 30_000);
  await page.locator('#code').fill(nextTotp(ward.clinician));
  await page.getByRole('button', { name: 'Continue' }).click();
  await waitForUrl(page, (url) => url.href.startsWith(clinicianApp.appUrl) && !url.searchParams.has('code'), 30_000);
  await waitForHeading(page, 'Caseload', 30_000);
  await page.getByTestId('worklist').waitFor({ timeout: 30_000 });
}

/** The patient's standalone launch: email and password (no consent page for the first-party app), then Today. */
async function patientSignsIn(person: HomePatient): Promise<void> {
  const { page } = patient;
  await page.goto(`${patientApp.appUrl}launch.html?clientId=${patientApp.clientId}`);
  await waitForUrl(page, (url) => url.pathname.startsWith('/oauth2/interaction/'), 30_000);
  await page.locator('#email').fill(person.email);
  await page.locator('#password').fill(person.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await waitForUrl(page, (url) => url.pathname.startsWith('/apps/patient/today'), 30_000);
  await waitForHeading(page, 'Today', 30_000);
}

function worklistRow(patientId: string) {
  return clinician.page.getByTestId('worklist').locator(`tbody tr[data-patient-id="${patientId}"]`);
}

async function worklistRowText(patientId: string): Promise<string> {
  return (await worklistRow(patientId).innerText()).replace(/\s+/g, ' ');
}

async function liveStatus(): Promise<string> {
  return ((await clinician.page.getByTestId('live-status').textContent()) ?? '').trim();
}

async function alertsOf(patientId: string): Promise<DetectedIssue[]> {
  return ctx.medplum.searchResources('DetectedIssue', { patient: `Patient/${patientId}` }, { cache: 'no-cache' });
}

/** The patient's SpO2 line among My readings' latest readings. */
function spo2Line() {
  return patient.page.getByTestId('latest-readings').getByTestId('reading').filter({ hasText: 'Oxygen level: 88 %' });
}

describe('from the patient’s reading to the clinician', () => {
  test(
    'a red SpO2 typed in the patient app turns the open worklist red live; the clinician acknowledges it; the patient sees it was seen',
    async () => {
      const { ward, patient: rosa } = await createJourneyWard(ctx);

      // The clinician's worklist is open, live, and Rosa has no alert.
      await clinicianSignsIn(ward);
      await expect.poll(() => worklistRowText(rosa.patientId), POLL).toContain(rosa.name);
      expect(await worklistRowText(rosa.patientId)).toContain('No open alerts');
      await expect.poll(liveStatus, POLL).toBe(LIVE_WORDS);
      await clinician.page.evaluate(() => {
        (window as unknown as { journeyMarker?: string }).journeyMarker = 'still here';
      });
      clinicianDocumentLoads = [];
      await screenshot(clinician.page, '1-worklist-before');

      // At home, on her phone: Rosa signs in and types an SpO2 of 88 % (red in the heart-failure programme: < 92 %).
      await patientSignsIn(rosa);
      await patient.page.getByRole('link', { name: 'Add oxygen level' }).first().click();
      await waitForHeading(patient.page, 'Add your oxygen level', 30_000);
      await patient.page.getByLabel('Oxygen level (SpO2) (%)').fill('88');
      const sentAt = Date.now();
      await patient.page.getByRole('button', { name: 'Save reading' }).click();
      await patient.page.getByRole('status').getByText('Sent to your care team').waitFor({ timeout: 30_000 });
      const onServerMs = Date.now() - sentAt;
      await screenshot(patient.page, '2-patient-reading-sent');

      // In the other window, without a reload: Rosa's row turns red.
      await expect
        .poll(() => worklistRowText(rosa.patientId), { timeout: LIVE_TIMEOUT, interval: 200 })
        .toContain('Red');
      const redMs = Date.now() - sentAt;
      console.info(
        `journey: patient pressed Save → "Sent to your care team" in ${onServerMs} ms → clinician's row red in ${redMs} ms`
      );
      expect(await worklistRowText(rosa.patientId)).toContain('1 open alert');
      expect(await clinician.page.evaluate(() => (window as unknown as { journeyMarker?: string }).journeyMarker)).toBe(
        'still here'
      );
      expect(clinicianDocumentLoads, 'no page load in the clinician app').toEqual([]);
      await screenshot(clinician.page, '3-worklist-red');

      // On the server: the reading as the patient app wrote it, and one alert about it, written by the alert bot.
      const readings = await ctx.medplum.searchResources(
        'Observation',
        { subject: `Patient/${rosa.patientId}`, code: 'http://loinc.org|2708-6' },
        { cache: 'no-cache' }
      );
      expect(readings).toHaveLength(1);
      const reading = readings[0] as Observation & { id: string };
      expect(reading.valueQuantity).toMatchObject({ value: 88, code: '%' });
      expect(reading.method?.coding?.[0]?.code).toBe('patient-entered');
      const alerts = await alertsOf(rosa.patientId);
      expect(alerts).toHaveLength(1);
      const alert = alerts[0] as DetectedIssue & { id: string };
      expect(alert).toMatchObject({ status: 'preliminary', severity: 'high' });
      expect(alert.implicated?.map((r) => r.reference)).toContain(`Observation/${reading.id}`);
      expect(alert.identifier?.[0]?.system).toBe(ALERT_IDENTIFIER_SYSTEM);
      expect(alert.mitigation ?? []).toEqual([]);
      // The bot's run on this reading is audited (the test itself wrote no DetectedIssue).
      const runs = await ctx.medplum.searchResources(
        'AuditEvent',
        { entity: 'Bot/rpm-observation-alerts', _count: '200', _sort: '-_lastUpdated' },
        { cache: 'no-cache' }
      );
      const run = runs.find((e: AuditEvent) => JSON.stringify(e).includes(`Observation/${reading.id}`));
      expect(run?.outcome).toBe('0');

      // The patient's My readings: flagged, not looked at yet.
      await patient.page.getByRole('link', { name: 'My readings' }).click();
      await waitForHeading(patient.page, 'My readings', 30_000);
      await spo2Line().waitFor({ timeout: 30_000 });
      expect(await spo2Line().innerText()).toContain('Flagged: Your care team was told about this reading.');
      expect(await spo2Line().innerText()).toContain('Your care team has not looked at it yet.');
      await screenshot(patient.page, '4-patient-flagged');

      // The clinician opens Rosa from the worklist and acknowledges the alert with a note.
      await clinician.page.getByTestId('worklist').getByRole('link', { name: rosa.name }).click();
      await waitForUrl(clinician.page, (url) => url.pathname.endsWith(`/patient/${rosa.patientId}`), 30_000);
      const card = clinician.page.locator(`[data-alert-id="${alert.id}"]`);
      await card.waitFor({ timeout: 30_000 });
      expect(await card.innerText()).toContain('Red');
      expect(await card.getByTestId('alert-state').innerText()).toBe('Not acknowledged');
      await screenshot(clinician.page, '5-patient-view-alert');
      await card.getByLabel('Note or outcome').fill(NOTE);
      await card.getByRole('button', { name: 'Acknowledge' }).click();
      await expect.poll(() => card.getByRole('status').textContent(), POLL).toBe('Alert acknowledged.');
      expect(await card.getByTestId('alert-state').innerText()).toContain(`Acknowledged: ${NOTE}`);
      await screenshot(clinician.page, '6-alert-acknowledged');

      // On the server: still one alert, open, with the clinician's acknowledgement.
      const after = await alertsOf(rosa.patientId);
      expect(after.map((a) => a.id)).toEqual([alert.id]);
      expect(after[0].status).toBe('preliminary');
      expect(after[0].mitigation).toHaveLength(1);
      expect(after[0].mitigation?.[0]).toMatchObject({
        action: {
          coding: [expect.objectContaining({ system: ALERT_ACTION_SYSTEM, code: 'acknowledged' })],
          text: `Acknowledged: ${NOTE}`,
        },
        author: { reference: `Practitioner/${ward.clinician.practitionerId}` },
      });

      // The patient app has no live channel for alerts: My readings shows the change when it loads again.
      await patient.page.reload();
      await waitForHeading(patient.page, 'My readings', 30_000);
      await spo2Line().waitFor({ timeout: 30_000 });
      expect(await spo2Line().innerText()).toContain('Flagged: Your care team was told about this reading.');
      expect(await spo2Line().innerText()).toMatch(/Seen by your care team on \d+ \w+ \d{4}, \d\d:\d\d/);
      expect(await spo2Line().getAttribute('data-flagged')).toBe('yes');
      await screenshot(patient.page, '7-patient-seen');
    },
    TEST_TIMEOUT
  );
});
