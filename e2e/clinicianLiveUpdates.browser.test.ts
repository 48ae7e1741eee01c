// The clinician app's live worklist in headless Chromium: a red reading posted through the API reaches the open worklist.
import { mkdirSync } from 'node:fs';
import { AxeBuilder } from '@axe-core/playwright';
import type { CarePlan, CareTeam, DetectedIssue, Patient, Subscription } from '@medplum/fhirtypes';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { readExample } from '../bots/src/testing/examples.ts';
import { OWNER_TAG_SYSTEM } from '../server/src/access/typeRules.ts';
import { findAccountByEmail } from '../server/src/accounts/accountStore.ts';
import { ensureProgramme, spo2Reading } from '../server/src/testing/monitoring.ts';
import { nextTotp } from '../server/src/testing/smartFlow.ts';
import { adminClient, fhirFetch, useTestServer } from '../server/src/testing/testServer.ts';
import { registerClinicianApp } from './clinicianAppClient.ts';
import { createClinicianWard, type ClinicianWard, type WardPatient } from './clinicianWard.ts';
import { createResource, launchChromium, waitForHeading, waitForUrl } from './support.ts';

/**
 * The built-in alert bots score the reading the test posts (server/src/bots/alertPipeline.test.ts does the same).
 * 75-second access tokens: a websocket binding never outlives the token that asked for it, so the app must rebind.
 */
const ACCESS_TOKEN_TTL_SECONDS = 75;
const ctx = useTestServer({ RPM_BUILT_IN_BOTS: 'true', RPM_ACCESS_TOKEN_TTL: String(ACCESS_TOKEN_TTL_SECONDS) });
const TEST_TIMEOUT = 120_000;
/** From the reading's commit to the red row: bot job, alert, notification, the app's reload (alone: 1–3 s). */
const LIVE_TIMEOUT = 20_000;
const ARTIFACTS = new URL('./artifacts/clinician-app/', import.meta.url).pathname;
const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const LIVE_WORDS = 'Live: updates appear as they arrive.';
/** The `reason` the app gives its Subscriptions (apps/clinician-smart-app/src/worklist/liveChannel.ts). */
const LIVE_REASON = 'Clinician worklist live updates';

let browser: Browser;
let context: BrowserContext;
let page: Page;
let clientId: string;
let appUrl: string;
let blocked: string[];
let pageErrors: string[];
/** Document (page) loads in the main frame after the app opened: a live update must cause none. */
let documentLoads: string[];

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launchChromium();
  ({ clientId, appUrl } = await registerClinicianApp(ctx, 'live'));
}, 300_000);
afterAll(async () => {
  await browser?.close();
});

/** The admin client's tokens are short-lived too: a new one for each test, and after a long wait. */
async function freshAdmin(): Promise<void> {
  ctx.medplum = await adminClient(ctx.server);
  ctx.api = fhirFetch(ctx.server, ctx.medplum.getAccessToken() as string);
}

beforeEach(async () => {
  await freshAdmin();
  context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  page = await context.newPage();
  blocked = [];
  pageErrors = [];
  documentLoads = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('request', (request) => {
    if (request.resourceType() === 'document' && request.frame() === page.mainFrame()) {
      documentLoads.push(request.url());
    }
  });
  await context.route(
    (url) => url.origin !== ctx.server.baseUrl,
    (route) => {
      blocked.push(route.request().url());
      return route.abort();
    }
  );
});
afterEach(async () => {
  await context?.close();
  expect(blocked, 'requests to other origins').toEqual([]);
  expect(pageErrors, 'uncaught errors in the app').toEqual([]);
});

/** Standalone launch: sign-in, security code, the caseload. */
async function launchAndSignIn(ward: ClinicianWard): Promise<void> {
  await page.goto(`${appUrl}launch.html?clientId=${clientId}`);
  await waitForUrl(page, (url) => url.pathname.startsWith('/oauth2/interaction/'));
  await page.locator('#email').fill(ward.clinician.email);
  await page.locator('#password').fill(ward.clinician.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await waitForHeading(page, 'Enter your security code');
  await page.locator('#code').fill(nextTotp(ward.clinician));
  await page.getByRole('button', { name: 'Continue' }).click();
  await waitForUrl(page, (url) => url.href.startsWith(appUrl) && !url.searchParams.has('code'));
  await waitForHeading(page, 'Caseload');
  await page.getByTestId('worklist').waitFor({ timeout: 15_000 });
}

async function liveStatus(): Promise<string> {
  return ((await page.getByTestId('live-status').textContent()) ?? '').trim();
}

function rowOf(patient: WardPatient) {
  return page.getByTestId('worklist').locator(`tbody tr[data-patient-id="${patient.id}"]`);
}

async function rowText(patient: WardPatient): Promise<string> {
  return (await rowOf(patient).innerText()).replace(/\s+/g, ' ');
}

/** The worklist's own Subscriptions on the server (read with the admin client, which sees everyone's). */
/**
 * The ward clinician's own active worklist Subscriptions. The test database is shared: other files' clinicians (the
 * clinician app's other E2E tests) make theirs in it at the same time, so only this account's owner tag counts.
 */
async function worklistSubscriptions(ward: ClinicianWard): Promise<Subscription[]> {
  const account = await findAccountByEmail(ctx.server.pool, ward.clinician.email);
  expect(account).toBeDefined();
  return (await ctx.medplum.searchResources('Subscription', { _count: '1000' }, { cache: 'no-cache' })).filter(
    (s) =>
      s.reason === LIVE_REASON &&
      s.status === 'active' &&
      s.meta?.tag?.some((t) => t.system === OWNER_TAG_SYSTEM && t.code === account?.id)
  );
}

/** Enrols a ward patient in the example heart-failure programme, whose thresholds the alert bot applies. */
async function enrolInHeartFailureProgramme(patient: WardPatient): Promise<void> {
  await ensureProgramme(ctx.medplum, 'heart-failure');
  const { id: _id, goal: _goal, ...example } = readExample<CarePlan>('rpm-monitoring-careplan-heart-failure');
  await createResource<CarePlan>(ctx, {
    ...example,
    subject: { reference: `Patient/${patient.id}` },
    author: undefined,
    period: { start: new Date(Date.now() - 86_400_000).toISOString() },
  });
}

describe('live worklist', () => {
  test(
    'a red SpO2 reading posted through the API turns the patient red in the open worklist, without a reload',
    async () => {
      const ward = await createClinicianWard(ctx);
      const lowen = ward.patients[3];
      await enrolInHeartFailureProgramme(lowen);
      await launchAndSignIn(ward);
      expect(await rowText(lowen)).toContain('No open alerts');

      // The app has subscribed (websocket Subscriptions, bound on /ws/subscriptions-r4) and says it is live.
      await expect.poll(liveStatus, { timeout: 20_000 }).toBe(LIVE_WORDS);
      const status = page.getByTestId('live-status');
      expect(await status.getAttribute('role')).toBe('status');
      // The care-team Subscription is made once the rows are there (a second channel, off the load's critical path).
      const criteria = async () => (await worklistSubscriptions(ward)).map((s) => s.criteria).sort();
      await expect
        .poll(criteria, { timeout: 10_000 })
        .toEqual([
          `CareTeam?participant=Practitioner/${ward.clinician.practitionerId}`,
          'DetectedIssue',
          'Observation',
        ]);
      const subscriptions = await worklistSubscriptions(ward);
      expect(subscriptions.every((s) => s.channel.type === 'websocket')).toBe(true);

      // A marker in the page: it survives only if the page is never loaded again.
      await page.evaluate(() => {
        (window as unknown as { liveMarker?: string }).liveMarker = 'still here';
      });
      documentLoads = [];

      // Outside the browser, as a device gateway would: a red SpO2 (84 %); the alert bot raises a red alert.
      const postedAt = Date.now();
      await createResource(ctx, spo2Reading(lowen.id, 84));

      await expect.poll(() => rowText(lowen), { timeout: LIVE_TIMEOUT, interval: 200 }).toContain('Red');
      const arrivedMs = Date.now() - postedAt;
      expect(await rowText(lowen)).toContain('1 open alert');
      await expect.poll(liveStatus, { timeout: 5_000, interval: 100 }).toBe(`New alert for ${lowen.name}`);
      console.info(`live update: the red row appeared ${arrivedMs} ms after the reading was posted`);

      // The server has the alert the row shows.
      const alerts = await ctx.medplum.searchResources(
        'DetectedIssue',
        { patient: `Patient/${lowen.id}`, status: 'preliminary' },
        { cache: 'no-cache' }
      );
      expect(alerts.map((a: DetectedIssue) => a.severity)).toEqual(['high']);

      // Reordered by acuity: the two red patients first.
      const names = (await page.getByTestId('worklist').locator('tbody tr th a').allInnerTexts()).map((t) => t.trim());
      expect(names.slice(0, 2).sort()).toEqual([ward.patients[0].name, lowen.name].sort());

      // No navigation happened: the marker is there and no document was requested.
      expect(await page.evaluate(() => (window as unknown as { liveMarker?: string }).liveMarker)).toBe('still here');
      expect(documentLoads).toEqual([]);
      await page.screenshot({ path: `${ARTIFACTS}worklist-live-alert.png`, fullPage: true });

      const results = await new AxeBuilder({ page }).withTags(WCAG_TAGS).setLegacyMode(true).analyze();
      const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      expect(serious.map((v) => `${v.id}: ${v.help}`)).toEqual([]);

      // The cue is brief: the status line goes back to "Live".
      await expect.poll(liveStatus, { timeout: 30_000 }).toBe(LIVE_WORDS);
    },
    TEST_TIMEOUT
  );

  test(
    'a patient enrolled onto the caseload by someone else appears without a reload, and goes when discharged',
    async () => {
      const ward = await createClinicianWard(ctx);
      await launchAndSignIn(ward);
      await expect.poll(liveStatus, { timeout: 20_000 }).toBe(LIVE_WORDS);
      await page.evaluate(() => Object.assign(window, { liveMarker: 'still here' }));
      documentLoads = [];

      // Another user (the admin client here, as a colleague's enrolment would) puts a new patient on the ward's team.
      const family = `Joiner${ward.suffix}`;
      const patient = await createResource<Patient>(ctx, {
        resourceType: 'Patient',
        name: [{ given: ['Ada'], family }],
        birthDate: '1950-03-01',
      });
      const team = await createResource<CareTeam>(ctx, {
        resourceType: 'CareTeam',
        status: 'active',
        name: `Ward team ${ward.suffix}`,
        subject: { reference: `Patient/${patient.id}` },
        participant: [{ member: { reference: `Practitioner/${ward.clinician.practitionerId}` } }],
      });
      const joined: WardPatient = { ...ward.patients[0], id: patient.id as string, name: `Ada ${family}` };
      await rowOf(joined).waitFor({ timeout: LIVE_TIMEOUT });
      expect(await rowText(joined)).toContain(`Ada ${family}`);
      await expect.poll(liveStatus, { timeout: 5_000, interval: 100 }).toBe(`Added to your caseload: Ada ${family}`);

      // Discharged (the care team ended): the row goes.
      await ctx.medplum.updateResource<CareTeam>({ ...team, status: 'inactive' });
      await rowOf(joined).waitFor({ state: 'detached', timeout: LIVE_TIMEOUT });
      await expect
        .poll(liveStatus, { timeout: 5_000, interval: 100 })
        .toBe(`No longer on your caseload: Ada ${family}`);
      expect(await page.getByTestId('worklist').locator('tbody tr').count()).toBe(ward.patients.length);

      expect(await page.evaluate(() => (window as { liveMarker?: string }).liveMarker)).toBe('still here');
      expect(documentLoads).toEqual([]);
    },
    TEST_TIMEOUT
  );

  test(
    'launching again reuses the clinician’s own Subscriptions instead of creating new ones',
    async () => {
      const ward = await createClinicianWard(ctx);
      const before = await worklistSubscriptions(ward);
      await launchAndSignIn(ward);
      await expect.poll(liveStatus, { timeout: 20_000 }).toBe(LIVE_WORDS);
      // Alerts, readings and (once the rows are there) the clinician's care teams.
      await expect
        .poll(async () => (await worklistSubscriptions(ward)).length, { timeout: 10_000 })
        .toBe(before.length + 3);
      const first = (await worklistSubscriptions(ward)).map((s) => s.id).sort();

      // Launch again in the same browser (the server's sign-in session is still open): a fresh page and token.
      const searches: string[] = [];
      page.on('request', (request) => {
        if (request.method() === 'GET' && new URL(request.url()).pathname.endsWith('/fhir/R4/Subscription')) {
          searches.push(request.url());
        }
      });
      await page.goto(`${appUrl}launch.html?clientId=${clientId}`);
      await waitForUrl(page, (url) => url.href.startsWith(appUrl) && !url.searchParams.has('code'));
      await waitForHeading(page, 'Caseload');
      await expect.poll(liveStatus, { timeout: 20_000 }).toBe(LIVE_WORDS);
      // The care teams' channel opens once the worklist has loaded: under the test suite's load that took over 10 s once.
      await expect.poll(() => searches.length, { timeout: 30_000 }).toBe(2);
      expect((await worklistSubscriptions(ward)).map((s) => s.id).sort()).toEqual(first);
      // One search of the user's own Subscriptions per channel (alerts and readings; care teams), not one per criteria.
      expect(searches).toHaveLength(2);
    },
    TEST_TIMEOUT
  );

  test(
    'updates go on after the first access token, and the binding tokens it asked for, have expired',
    async () => {
      const ward = await createClinicianWard(ctx);
      const mona = ward.patients[2];
      await enrolInHeartFailureProgramme(mona);
      let firstTokenExpiry: number | undefined;
      page.on('response', (response) => {
        if (response.url().endsWith('/oauth2/token') && firstTokenExpiry === undefined) {
          firstTokenExpiry = Date.now() + ACCESS_TOKEN_TTL_SECONDS * 1000;
        }
      });
      await launchAndSignIn(ward);
      await expect.poll(liveStatus, { timeout: 20_000 }).toBe(LIVE_WORDS);
      expect(firstTokenExpiry).toBeDefined();
      documentLoads = [];

      // Time must pass: the bindings made with the first token end when it expires (the app rebinds before that).
      await expect
        .poll(() => Date.now() > (firstTokenExpiry as number) + 3_000, {
          timeout: (ACCESS_TOKEN_TTL_SECONDS + 30) * 1000,
          interval: 1_000,
        })
        .toBe(true);
      expect(await liveStatus()).toBe(LIVE_WORDS);

      await freshAdmin();
      await createResource(ctx, spo2Reading(mona.id, 84));
      await expect.poll(() => rowText(mona), { timeout: LIVE_TIMEOUT, interval: 200 }).toContain('Red');
      await expect.poll(liveStatus, { timeout: 5_000, interval: 100 }).toBe(`New alert for ${mona.name}`);
      expect(documentLoads, 'no page load since the worklist opened').toEqual([]);
    },
    TEST_TIMEOUT + 60_000
  );
});
