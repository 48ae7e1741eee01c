// The clinician SMART app, built and served by the server, in headless Chromium: standalone and EHR launch, worklist
// in acuity order, patient view, acknowledging and resolving an alert, and axe at desktop and tablet sizes.
import { mkdirSync } from 'node:fs';
import { AxeBuilder } from '@axe-core/playwright';
import type { DetectedIssue } from '@medplum/fhirtypes';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { nextTotp } from '../server/src/testing/smartFlow.ts';
import { adminClient, fhirFetch, useTestServer } from '../server/src/testing/testServer.ts';
import { registerClinicianApp } from './clinicianAppClient.ts';
import { createClinicianWard, type ClinicianWard } from './clinicianWard.ts';
import { heading, launchChromium, waitForHeading, waitForUrl } from './support.ts';

/** Short-lived access tokens: the app refreshes 60 s before expiry, i.e. 15 s after each token is issued. */
const ACCESS_TOKEN_TTL_SECONDS = 75;
const ctx = useTestServer({ RPM_ACCESS_TOKEN_TTL: String(ACCESS_TOKEN_TTL_SECONDS) });
/** Each test signs in and drives several screens: generous under a loaded CI machine (alone: 5–9 s). */
const TEST_TIMEOUT = 90_000;
/** expect.poll waits 1 s by default: too short for a round trip on a loaded machine. */
const POLL = { timeout: 15_000 };
const ARTIFACTS = new URL('./artifacts/clinician-app/', import.meta.url).pathname;
const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const VIEWPORTS = [
  { name: 'desktop 1280x800', size: { width: 1280, height: 800 } },
  { name: 'tablet 768x1024', size: { width: 768, height: 1024 } },
];

let browser: Browser;
let context: BrowserContext;
let page: Page;
/** The app's client on this test server (the seeded rpm-clinician-app points at the fixed test app URL). */
let clientId: string;
let appUrl: string;
/** Requests the browser tried to make to any other origin (refused): there must be none. */
let blocked: string[];
/** Uncaught errors in the app's pages. */
let pageErrors: string[];

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launchChromium();
  ({ clientId, appUrl } = await registerClinicianApp(ctx, 'app'));
}, 300_000);
afterAll(async () => {
  await browser?.close();
});

beforeEach(async () => {
  // The file's 75-second tokens apply to the admin client too: a fresh one per test, so fixtures are still created
  // when earlier tests ran long (a loaded machine; the worklist's live-update socket adds a few requests).
  ctx.medplum = await adminClient(ctx.server);
  ctx.api = fhirFetch(ctx.server, ctx.medplum.getAccessToken() as string);
  context = await browser.newContext({ viewport: VIEWPORTS[0].size });
  page = await context.newPage();
  blocked = [];
  pageErrors = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
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

async function screenshot(name: string): Promise<void> {
  await page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });
}

/** The server's login and security-code pages, as the clinician fills them in. */
async function signIn(ward: ClinicianWard): Promise<void> {
  await waitForUrl(page, (url) => url.pathname.startsWith('/oauth2/interaction/'));
  expect(await heading(page)).toBe('Sign in');
  await page.locator('#email').fill(ward.clinician.email);
  await page.locator('#password').fill(ward.clinician.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await waitForHeading(page, 'Enter your security code');
  await page.locator('#code').fill(nextTotp(ward.clinician));
  await page.getByRole('button', { name: 'Continue' }).click();
}

/** Patient names in the worklist, top to bottom. */
async function worklistNames(): Promise<string[]> {
  const table = page.getByTestId('worklist');
  await table.waitFor({ timeout: 15_000 });
  return (await table.locator('tbody tr th a').allInnerTexts()).map((t) => t.trim());
}

/** axe on the current page at both sizes: serious and critical violations, described. */
async function seriousViolations(): Promise<string[]> {
  const found: string[] = [];
  for (const viewport of VIEWPORTS) {
    await page.setViewportSize(viewport.size);
    const results = await new AxeBuilder({ page }).withTags(WCAG_TAGS).setLegacyMode(true).analyze();
    for (const v of results.violations.filter((x) => x.impact === 'serious' || x.impact === 'critical')) {
      found.push(
        `[${viewport.name}] ${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`
      );
    }
  }
  await page.setViewportSize(VIEWPORTS[0].size);
  return found;
}

async function alertFromServer(id: string): Promise<DetectedIssue> {
  return (await (await ctx.api(`DetectedIssue/${id}`)).json()) as DetectedIssue;
}

describe('standalone launch', () => {
  test(
    'the clinician sees their caseload in acuity order, with severity in words, NEWS2, programme and care team',
    async () => {
      const ward = await createClinicianWard(ctx);
      await page.goto(`${appUrl}launch.html?clientId=${clientId}`);
      await signIn(ward);
      await waitForUrl(page, (url) => url.href.startsWith(appUrl) && !url.searchParams.has('code'));
      await waitForHeading(page, 'Caseload');

      expect(await worklistNames()).toEqual(ward.patients.map((p) => p.name));
      const rows = page.getByTestId('worklist').locator('tbody tr');
      const texts = (await rows.allInnerTexts()).map((t) => t.replace(/\s+/g, ' '));
      expect(texts[0]).toContain('Red');
      expect(texts[0]).toContain('1 open alert');
      expect(texts[0]).toContain('7 High risk');
      expect(texts[1]).toContain('Amber');
      expect(texts[1]).toContain('3 Low–medium risk');
      expect(texts[2]).toContain('No open alerts');
      expect(texts[2]).toContain('5 Medium risk');
      expect(texts[3]).toContain('1 Low risk');
      for (const text of texts) {
        expect(text).toContain(ward.programmeTitle);
        expect(text).toContain(`Virtual ward team ${ward.suffix}`);
        expect(text).toContain('2 h ago');
      }
      const nhs = ward.patients[0].nhsNumber;
      expect(texts[0]).toContain(`NHS ${nhs.slice(0, 3)} ${nhs.slice(3, 6)} ${nhs.slice(6)}`);
      await screenshot('worklist-1280');

      // Filters: only patients with a red alert.
      await page.getByText('Red alerts', { exact: true }).click();
      await expect.poll(() => worklistNames(), POLL).toEqual([ward.patients[0].name]);
      await page.getByText('All patients', { exact: true }).click();

      // Keyboard: Tab reaches the first patient's link, Enter opens the patient view.
      // The link is a real address (opens in a new tab too); a plain Enter or click opens it inside the app.
      const firstLink = page.getByRole('link', { name: ward.patients[0].name });
      expect(await firstLink.getAttribute('href')).toBe(`/apps/clinician/patient/${ward.patients[0].id}`);
      await page.evaluate(() => Object.assign(window, { sameDocument: true }));
      await firstLink.focus();
      await page.keyboard.press('Enter');
      await waitForUrl(page, (url) => url.pathname.endsWith(`/patient/${ward.patients[0].id}`));
      await page.getByTestId('patient-banner').waitFor();
      expect(await page.evaluate(() => (window as { sameDocument?: boolean }).sameDocument)).toBe(true);
      await page.getByRole('link', { name: 'Back to the caseload' }).click();
      expect(await worklistNames()).toHaveLength(4);

      expect(await seriousViolations()).toEqual([]);
      await page.setViewportSize(VIEWPORTS[1].size);
      await screenshot('worklist-768');
    },
    TEST_TIMEOUT
  );
  test(
    'the access token is refreshed before it expires, and the app goes on with the new one',
    async () => {
      const ward = await createClinicianWard(ctx);
      await page.goto(`${appUrl}launch.html?clientId=${clientId}`);
      await signIn(ward);
      await waitForHeading(page, 'Caseload');
      expect(await worklistNames()).toHaveLength(4);

      // fhirclient's refresh (grant_type=refresh_token) about 15 s after the token was issued.
      const refresh = await page.waitForResponse(
        (r) => r.url().endsWith('/oauth2/token') && (r.request().postData() ?? '').includes('refresh_token'),
        { timeout: (ACCESS_TOKEN_TTL_SECONDS - 30) * 1000 }
      );
      expect(refresh.status()).toBe(200);
      const { access_token: newToken } = (await refresh.json()) as { access_token: string };

      const nextSearch = page.waitForRequest((r) => r.url().startsWith(`${ctx.server.fhirBaseUrl}/CareTeam?`));
      await page.getByRole('button', { name: 'Refresh' }).click();
      expect((await nextSearch).headers().authorization).toBe(`Bearer ${newToken}`);
      expect(await worklistNames()).toEqual(ward.patients.map((p) => p.name));
    },
    TEST_TIMEOUT
  );
});

describe('EHR launch', () => {
  test(
    'the demo EHR launcher opens the app straight into the launched patient, with banner and trends',
    async () => {
      const ward = await createClinicianWard(ctx);
      const patient = ward.patients[1];
      await page.goto(`${ctx.server.baseUrl}/oauth2/ehr-launcher`);
      await page.locator('#app').selectOption(clientId);
      await page.locator('#patient').selectOption(patient.id);
      await page.locator('#practitioner').fill(`Practitioner/${ward.clinician.practitionerId}`);
      await page.getByRole('button', { name: 'Launch' }).click();
      await signIn(ward);

      await waitForUrl(page, (url) => url.pathname.endsWith(`/apps/clinician/patient/${patient.id}`));
      const banner = page.getByTestId('patient-banner');
      await banner.waitFor({ timeout: 15_000 });
      const bannerText = (await banner.innerText()).replace(/\s+/g, ' ');
      expect(bannerText).toContain(patient.name);
      const nhs = patient.nhsNumber;
      expect(bannerText).toContain(`NHS number ${nhs.slice(0, 3)} ${nhs.slice(3, 6)} ${nhs.slice(6)}`);
      expect(bannerText).toMatch(/Age \d+ years/);
      expect(bannerText).toContain(`Programme ${ward.programmeTitle}`);
      // Trends: NEWS2, blood pressure and heart rate charts; 3 heart rates and 1 BP in 7 days, 2 and 1 in 24 h.
      await expect.poll(() => page.getByRole('figure').count(), POLL).toBe(3);
      expect(await page.getByRole('figure', { name: 'NEWS2 trend' }).innerText()).toContain('1 reading; latest 3 at');
      expect(await page.getByRole('figure', { name: 'Heart rate trend' }).innerText()).toContain('3 readings');
      expect(await page.getByTestId('readings').locator('tbody tr').count()).toBe(4);
      await page.getByText('24 hours', { exact: true }).click();
      await expect
        .poll(() => page.getByRole('figure', { name: 'Heart rate trend' }).innerText(), POLL)
        .toContain('2 readings');
      expect(await page.getByTestId('readings').locator('tbody tr').count()).toBe(3);
      expect(await page.getByTestId('readings').innerText()).toContain('132/84 mmHg');
      expect(await page.getByTestId('news2-latest').innerText()).toContain('3 (Low–medium risk)');
      // An EHR launch shows no way back to a caseload: the EHR is the caseload.
      expect(await page.getByRole('link', { name: 'Back to the caseload' }).count()).toBe(0);
      await screenshot('patient-ehr-launch-1280');
      expect(await seriousViolations()).toEqual([]);
      await page.setViewportSize(VIEWPORTS[1].size);
      await screenshot('patient-ehr-launch-768');
    },
    TEST_TIMEOUT
  );

  test(
    'need_patient_banner=false from the EHR hides the banner',
    async () => {
      const ward = await createClinicianWard(ctx);
      const patient = ward.patients[2];
      // The EHR's own call to the launch API (here with the admin client's token).
      const response = await fetch(`${ctx.server.baseUrl}/oauth2/launch`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ctx.medplum.getAccessToken()}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          patient: patient.id,
          practitioner: `Practitioner/${ward.clinician.practitionerId}`,
          need_patient_banner: false,
        }),
      });
      expect(response.status).toBe(201);
      const { launch, iss } = (await response.json()) as { launch: string; iss: string };
      const launchUrl = new URL(`${appUrl}launch.html`);
      launchUrl.search = new URLSearchParams({ clientId, iss, launch }).toString();
      await page.goto(launchUrl.toString());
      await signIn(ward);

      await waitForUrl(page, (url) => url.pathname.endsWith(`/apps/clinician/patient/${patient.id}`));
      await waitForHeading(page, patient.name);
      expect(await page.getByTestId('patient-banner').count()).toBe(0);
      expect(await page.getByTestId('news2-latest').innerText()).toContain('5 (Medium risk)');
    },
    TEST_TIMEOUT
  );
});

describe('alerts in the patient view', () => {
  test(
    'acknowledge with a note, a refused resolve without an outcome keeps the text, then resolve',
    async () => {
      const ward = await createClinicianWard(ctx);
      const patient = ward.patients[0];
      const alertId = patient.alertIds[0];
      await page.goto(`${appUrl}launch.html?clientId=${clientId}`);
      await signIn(ward);
      await page.getByRole('link', { name: patient.name }).click();

      const card = page.locator(`[data-alert-id="${alertId}"]`);
      await card.waitFor({ timeout: 15_000 });
      expect(await card.innerText()).toContain('Red');
      expect(await card.getByTestId('alert-state').innerText()).toBe('Not acknowledged');
      await card.getByLabel('Note or outcome').fill('Phoned the patient, repeating observations');
      await card.getByRole('button', { name: 'Acknowledge' }).click();
      await expect.poll(() => card.getByRole('status').textContent(), POLL).toBe('Alert acknowledged.');
      expect(await card.getByTestId('alert-state').innerText()).toContain(
        'Acknowledged: Phoned the patient, repeating observations'
      );
      expect(await card.getByRole('button', { name: 'Acknowledge' }).count()).toBe(0);
      await screenshot('alert-acknowledged');

      // The server recorded it: an acknowledged mitigation by this clinician; the alert stays open.
      const acknowledged = await alertFromServer(alertId);
      expect(acknowledged.status).toBe('preliminary');
      expect(acknowledged.mitigation?.at(-1)).toMatchObject({
        action: { text: 'Acknowledged: Phoned the patient, repeating observations' },
        author: { reference: `Practitioner/${ward.clinician.practitionerId}` },
      });

      // Resolve needs an outcome: the app says so and sends nothing.
      await card.getByRole('button', { name: 'Resolve' }).click();
      await card.getByText('Write the outcome before resolving the alert.').waitFor({ timeout: 5_000 });
      expect((await alertFromServer(alertId)).status).toBe('preliminary');

      // Closed elsewhere meanwhile (another clinician): the app explains the 409 in words and keeps the typed outcome.
      const other = await ctx.api(`DetectedIssue/${alertId}/$resolve`, {
        method: 'POST',
        body: JSON.stringify({
          resourceType: 'Parameters',
          parameter: [
            { name: 'note', valueString: 'Resolved by the on-call doctor' },
            { name: 'practitioner', valueReference: { reference: `Practitioner/${ward.clinician.practitionerId}` } },
          ],
        }),
      });
      expect(other.status).toBe(200);
      // The screen follows alerts live: when the other clinician's change reaches it first, the alert leaves the open
      // alerts (no Resolve button to press); otherwise the resolve below meets the 409, which must be explained.
      const resolve = card.getByRole('button', { name: 'Resolve' });
      const closedLive = await resolve.waitFor({ state: 'detached', timeout: 2_000 }).then(
        () => true,
        () => false
      );
      if (closedLive) {
        expect((await alertFromServer(alertId)).status).toBe('final');
        return;
      }
      await card.getByLabel('Note or outcome').fill('Observations back to baseline');
      await resolve.click({ timeout: 5_000 });
      const problem = card.getByRole('alert');
      await problem.waitFor({ timeout: 10_000 });
      expect(await problem.innerText()).toContain('Someone else has already changed this record.');
      expect(await card.getByLabel('Note or outcome').inputValue()).toBe('Observations back to baseline');
      await screenshot('alert-resolve-conflict');
    },
    TEST_TIMEOUT
  );

  test(
    'resolve an open alert with its outcome: it moves to the closed alerts',
    async () => {
      const ward = await createClinicianWard(ctx);
      const patient = ward.patients[1];
      const alertId = patient.alertIds[0];
      await page.goto(`${appUrl}launch.html?clientId=${clientId}`);
      await signIn(ward);
      await page.getByRole('link', { name: patient.name }).click();
      const card = page.locator(`[data-alert-id="${alertId}"]`);
      await card.waitFor({ timeout: 15_000 });
      await card.getByLabel('Note or outcome').fill('Heart rate settled after rest; no action needed');
      await card.getByRole('button', { name: 'Resolve' }).click();
      await expect
        .poll(() => card.getByTestId('alert-state').innerText(), POLL)
        .toBe('Resolved: Heart rate settled after rest; no action needed');
      expect(await page.getByRole('heading', { name: 'Open alerts (0)' }).count()).toBe(1);
      const resolved = await alertFromServer(alertId);
      expect(resolved.status).toBe('final');
    },
    TEST_TIMEOUT
  );
});
