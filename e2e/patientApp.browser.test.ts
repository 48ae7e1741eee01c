// The patient SMART app, built and served by the server, in headless Chromium at phone size: sign-in, today's plan,
// every reading by hand, the offline outbox (sent exactly once), flagged and seen readings, axe on every screen.
import { mkdirSync } from 'node:fs';
import { AxeBuilder } from '@axe-core/playwright';
import type { DetectedIssue, Observation, Practitioner } from '@medplum/fhirtypes';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { buildAlert } from '../bots/src/alerts/buildAlert.ts';
import { useTestServer } from '../server/src/testing/testServer.ts';
import { createMonitoredPatient, registerPatientApp } from './patientAppClient.ts';
import { createResource, heading, launchChromium, waitForHeading, waitForUrl } from './support.ts';

const ctx = useTestServer();
/** Each test signs in and drives several screens; generous for a loaded machine (alone: 15–45 s). */
const TEST_TIMEOUT = 240_000;
const POLL = { timeout: 20_000 };
const ARTIFACTS = new URL('./artifacts/patient-app/', import.meta.url).pathname;
const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const PHONE = { width: 360, height: 740 };
const READING_SYSTEM = 'http://rpm-platform.org/fhir/identifier/patient-app-reading';
const SOURCE_SYSTEM = 'http://rpm-platform.org/fhir/CodeSystem/rpm-reading-source';

let browser: Browser;
let context: BrowserContext;
let page: Page;
let clientId: string;
let appUrl: string;
let blocked: string[];
let pageErrors: string[];

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launchChromium();
  ({ clientId, appUrl } = await registerPatientApp(ctx, 'app'));
}, 300_000);
afterAll(async () => {
  await browser?.close();
});

beforeEach(async () => {
  // A UK patient's phone: the plans' schedules are in UK time (their rpm-schedule-time-zone, Europe/London by default).
  context = await browser.newContext({
    viewport: PHONE,
    isMobile: true,
    hasTouch: true,
    timezoneId: 'Europe/London',
    locale: 'en-GB',
  });
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

/** axe at 360×740: serious and critical violations, described; and no sideways scrolling (WCAG 1.4.10). */
async function accessibilityProblems(): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(WCAG_TAGS).setLegacyMode(true).analyze();
  const found = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (overflow > 0) {
    found.push(`the page scrolls sideways by ${overflow} px at 360 px wide`);
  }
  // Cut off on the right (the fixed header and menu do not scroll, so axe and the width check above miss it).
  const clipped = await page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('header *, footer *, main *')]
      .filter((el) => el.offsetParent !== null && el.getBoundingClientRect().right > window.innerWidth + 1)
      .map((el) => `${el.tagName} "${(el.textContent ?? '').trim().slice(0, 30)}"`)
  );
  found.push(...clipped.map((el) => `${el} is cut off on the right at 360 px`));
  return found;
}

/** Touch targets smaller than 44×44 px among the page's buttons, links and inputs (WCAG 2.5.5 as the issue asks). */
async function smallTouchTargets(): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('main button, main a, main input, main select, nav a')]
      .filter((el) => el.offsetParent !== null)
      .map((el) => ({ el, box: el.getBoundingClientRect() }))
      .filter(({ box }) => box.height < 44 || box.width < 44)
      .map(
        ({ el, box }) =>
          `${el.tagName} "${el.textContent?.trim() ?? ''}" ${Math.round(box.width)}×${Math.round(box.height)}`
      )
  );
}

/** Opens launch.html, signs in on the server's login page, and waits for Today. */
async function signIn(person: { email: string; password: string }): Promise<void> {
  await page.goto(`${appUrl}launch.html?clientId=${clientId}`);
  await waitForUrl(page, (url) => url.pathname.startsWith('/oauth2/interaction/'));
  expect(await heading(page)).toBe('Sign in');
  await page.locator('#email').fill(person.email);
  await page.locator('#password').fill(person.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await waitForUrl(page, (url) => url.pathname.startsWith('/apps/patient/today'));
  await waitForHeading(page, 'Today');
}

/** From Today, adds one reading by hand and waits for the app to say what happened. */
async function addReading(buttonName: string, values: Record<string, string>, expected: RegExp): Promise<void> {
  await page.getByRole('link', { name: buttonName }).first().click();
  for (const [label, value] of Object.entries(values)) {
    await page.getByLabel(label, { exact: false }).fill(value);
  }
  await page.getByRole('button', { name: 'Save reading' }).click();
  await page.getByRole('status').getByText(expected).waitFor({ timeout: 20_000 });
}

async function backToToday(): Promise<void> {
  await page.getByRole('link', { name: 'Back to today' }).click();
  await waitForHeading(page, 'Today');
}

async function observationsOf(patientId: string): Promise<Observation[]> {
  const res = await ctx.api(`Observation?subject=Patient/${patientId}&_count=100`);
  const bundle = (await res.json()) as { entry?: { resource: Observation }[] };
  return (bundle.entry ?? []).map((e) => e.resource);
}

function loincOf(o: Observation): string | undefined {
  return o.code.coding?.find((c) => c.system === 'http://loinc.org')?.code;
}

describe('patient app', () => {
  test(
    'a patient signs in, sees today’s plan, adds every kind of reading by hand; the server has them, patient-entered',
    async () => {
      const person = await createMonitoredPatient(ctx);
      await signIn(person);
      // Today's plan from the CarePlan: blood pressure twice, SpO2 and weight once; nothing done yet.
      await page.getByText('3 of 3 still to do.').waitFor({ timeout: 15_000 });
      expect(await page.getByTestId('task-blood-pressure').innerText()).toContain('2 times today: 08:00 and 20:00');
      expect(await page.getByTestId('task-spo2').innerText()).toContain('To do');
      expect(await accessibilityProblems()).toEqual([]);
      expect(await smallTouchTargets()).toEqual([]);
      await screenshot('today-to-do');

      // A value out of range is refused in plain words; what was typed stays.
      await page.getByRole('link', { name: 'Add oxygen level' }).click();
      await waitForHeading(page, 'Add your oxygen level');
      await page.getByLabel('Oxygen level (SpO2) (%)').fill('140');
      await page.getByRole('button', { name: 'Save reading' }).click();
      await page.getByText('This number looks wrong. It should be between 50 and 100 percent.').waitFor();
      expect(await page.getByLabel('Oxygen level (SpO2) (%)').inputValue()).toBe('140');
      expect(await page.getByLabel('Oxygen level (SpO2) (%)').getAttribute('aria-invalid')).toBe('true');
      expect(await accessibilityProblems()).toEqual([]);
      expect(await smallTouchTargets()).toEqual([]);
      await screenshot('add-reading-refused');
      await page.getByLabel('Oxygen level (SpO2) (%)').fill('96');
      await page.getByRole('button', { name: 'Save reading' }).click();
      await page.getByRole('status').getByText('Sent to your care team').waitFor({ timeout: 20_000 });
      await screenshot('add-reading-sent');
      await backToToday();

      await addReading(
        'Add blood pressure',
        { 'Top number': '132', 'Bottom number': '84', Pulse: '71' },
        /Sent to your care team/
      );
      await backToToday();
      await addReading('Add weight', { Weight: '81,4' }, /Sent to your care team/);
      await backToToday();
      await addReading('Add heart rate', { 'Heart rate': '68' }, /Sent to your care team/);
      await backToToday();
      await addReading('Add temperature', { Temperature: '37.1' }, /Sent to your care team/);
      await backToToday();
      await addReading('Add breathing rate', { 'Breaths in one minute': '16' }, /Sent to your care team/);
      await backToToday();
      await addReading('Add blood sugar', { 'Blood sugar': '6.4' }, /Sent to your care team/);
      await backToToday();

      // Today counts them: one of two blood pressures, SpO2 and weight done.
      await expect.poll(() => page.getByTestId('task-spo2').innerText(), POLL).toContain('Done');
      expect(await page.getByTestId('task-weight').innerText()).toContain('Done');
      expect(await page.getByTestId('task-blood-pressure').innerText()).toContain('1 of 2 done');
      await screenshot('today-after-readings');

      // On the server: one Observation per value (the blood pressure's pulse apart), LOINC and UCUM, patient-entered.
      const saved = await observationsOf(person.patientId);
      const byCode = new Map(saved.map((o) => [loincOf(o), o]));
      expect([...byCode.keys()].sort()).toEqual(
        ['15074-8', '29463-7', '2708-6', '8310-5', '85354-9', '8867-4', '9279-1'].sort()
      );
      expect(saved.filter((o) => loincOf(o) === '8867-4')).toHaveLength(2);
      expect(byCode.get('2708-6')?.valueQuantity).toMatchObject({ value: 96, code: '%' });
      expect(byCode.get('29463-7')?.valueQuantity).toMatchObject({ value: 81.4, code: 'kg' });
      expect(byCode.get('8310-5')?.valueQuantity).toMatchObject({ value: 37.1, code: 'Cel' });
      expect(byCode.get('9279-1')?.valueQuantity).toMatchObject({ value: 16, code: '/min' });
      expect(byCode.get('15074-8')?.valueQuantity).toMatchObject({ value: 6.4, code: 'mmol/L' });
      expect(
        byCode
          .get('85354-9')
          ?.component?.map((c) => [c.code.coding?.[0].code, c.valueQuantity?.value, c.valueQuantity?.code])
      ).toEqual([
        ['8480-6', 132, 'mm[Hg]'],
        ['8462-4', 84, 'mm[Hg]'],
      ]);
      for (const o of saved) {
        expect(o.method?.coding).toEqual([expect.objectContaining({ system: SOURCE_SYSTEM, code: 'patient-entered' })]);
        expect(o.performer).toEqual([{ reference: `Patient/${person.patientId}` }]);
        expect(o.identifier?.filter((id) => id.system === READING_SYSTEM)).toHaveLength(1);
      }

      // My readings: the latest of each kind, and a history with a chart.
      await page.getByRole('link', { name: 'My readings' }).click();
      await waitForHeading(page, 'My readings');
      await page.getByTestId('latest-readings').waitFor({ timeout: 15_000 });
      const latest = await page.getByTestId('latest-readings').innerText();
      expect(latest).toContain('Blood pressure: 132/84 mmHg');
      expect(latest).toContain('Weight: 81.4 kg');
      expect(await page.getByTestId('reading-chart').count()).toBe(1);
      expect(await accessibilityProblems()).toEqual([]);
      expect(await smallTouchTargets()).toEqual([]);
      await screenshot('my-readings');
    },
    TEST_TIMEOUT
  );

  test(
    'offline: a reading waits on the phone ("waiting to send"); back online it is sent exactly once',
    async () => {
      const person = await createMonitoredPatient(ctx);
      await signIn(person);
      // Installable and offline-capable: the manifest, and the service worker in control of the app's pages.
      const manifest = (await (await fetch(`${appUrl}manifest.webmanifest`)).json()) as Record<string, unknown>;
      expect(manifest).toMatchObject({ name: 'My health readings', display: 'standalone', start_url: './' });
      expect(await page.evaluate(async () => (await navigator.serviceWorker.ready).active?.scriptURL)).toBe(
        `${appUrl}sw.js`
      );
      await page.waitForTimeout(6_000); // the app puts the scripts it loaded before the worker ran in its cache
      await page.getByRole('link', { name: 'Add temperature' }).click();
      await waitForHeading(page, 'Add your temperature');

      await context.setOffline(true);
      await page.getByLabel('Temperature (°C)').fill('37.8');
      await page.getByRole('button', { name: 'Save reading' }).click();
      await page.getByRole('status').getByText('Saved on your phone: waiting to send').waitFor({ timeout: 30_000 });
      await page.getByRole('banner').getByText('1 waiting to send').waitFor();
      await backToToday();
      expect(await page.getByTestId('waiting-readings').innerText()).toContain('Waiting to send: 37.8 °C');
      expect(await accessibilityProblems()).toEqual([]);
      await screenshot('offline-waiting-to-send');
      // The reading's identifier, made on the phone and kept in IndexedDB.
      const identifier = await page.evaluate(
        (patientId) =>
          new Promise<string>((resolve, reject) => {
            const open = indexedDB.open(`rpm-patient-app-${patientId}`);
            open.onerror = () => reject(open.error);
            open.onsuccess = () => {
              const all = open.result.transaction('outbox').objectStore('outbox').getAll();
              all.onsuccess = () => resolve((all.result as { id: string }[])[0].id);
              all.onerror = () => reject(all.error);
            };
          }),
        person.patientId
      );
      expect(await observationsOf(person.patientId)).toEqual([]);

      // Closing and opening the app offline: the service worker serves the app, the reading is still waiting.
      await page.reload();
      await waitForHeading(page, 'Today');
      await page.getByTestId('waiting-readings').getByText('Waiting to send: 37.8 °C').waitFor({ timeout: 15_000 });
      expect(await observationsOf(person.patientId)).toEqual([]);

      await context.setOffline(false);
      await page.getByRole('banner').getByText('1 waiting to send').waitFor({ state: 'detached', timeout: 30_000 });
      await expect.poll(() => page.getByTestId('waiting-readings').count(), POLL).toBe(0);
      const res = await ctx.api(`Observation?identifier=${encodeURIComponent(`${READING_SYSTEM}|${identifier}`)}`);
      const found = ((await res.json()) as { entry?: { resource: Observation }[] }).entry ?? [];
      expect(found).toHaveLength(1);
      expect(found[0].resource.valueQuantity).toMatchObject({ value: 37.8, code: 'Cel' });
      expect(await observationsOf(person.patientId)).toHaveLength(1);
      // Going offline and online again sends nothing more.
      await context.setOffline(true);
      await context.setOffline(false);
      await page.waitForTimeout(1_000);
      expect(await observationsOf(person.patientId)).toHaveLength(1);
      await screenshot('back-online-sent');
    },
    TEST_TIMEOUT
  );

  test(
    'a reading that raised an alert is flagged in words; once a clinician acknowledged it, it shows as seen',
    async () => {
      const person = await createMonitoredPatient(ctx);
      await signIn(person);
      await addReading('Add oxygen level', { 'Oxygen level': '86' }, /Sent to your care team/);
      await backToToday();
      await addReading('Add heart rate', { 'Heart rate': '131' }, /Sent to your care team/);
      const saved = await observationsOf(person.patientId);
      const spo2 = saved.find((o) => loincOf(o) === '2708-6') as Observation;
      const pulse = saved.find((o) => loincOf(o) === '8867-4') as Observation;

      // Alerts as the alert bots raise them; a clinician acknowledges the heart-rate one ($acknowledge).
      const alert = (observation: Observation, code: string) =>
        createResource<DetectedIssue>(
          ctx,
          buildAlert({
            patient: { reference: `Patient/${person.patientId}` },
            rule: 'vital-sign-threshold',
            qualifier: code,
            severity: 'high',
            observations: [observation],
            explanation: 'Outside the red threshold',
            identified: new Date(),
          })
        );
      await alert(spo2, '2708-6');
      const heartAlert = await alert(pulse, '8867-4');
      const nurse = await createResource<Practitioner>(ctx, {
        resourceType: 'Practitioner',
        name: [{ given: ['Ann'], family: 'Nurse' }],
      });
      const ack = await ctx.api(`DetectedIssue/${heartAlert.id}/$acknowledge`, {
        method: 'POST',
        body: JSON.stringify({
          resourceType: 'Parameters',
          parameter: [{ name: 'practitioner', valueReference: { reference: `Practitioner/${nurse.id}` } }],
        }),
      });
      expect(ack.status).toBe(200);

      await backToToday();
      await page.getByRole('link', { name: 'My readings' }).click();
      await waitForHeading(page, 'My readings');
      const latest = page.getByTestId('latest-readings');
      await latest.waitFor({ timeout: 15_000 });
      const spo2Line = latest.getByTestId('reading').filter({ hasText: 'Oxygen level: 86 %' });
      const heartLine = latest.getByTestId('reading').filter({ hasText: 'Heart rate: 131 beats/min' });
      expect(await spo2Line.innerText()).toContain('Flagged: Your care team was told about this reading.');
      expect(await spo2Line.innerText()).toContain('Your care team has not looked at it yet.');
      expect(await spo2Line.getAttribute('data-flagged')).toBe('yes');
      expect(await heartLine.innerText()).toContain('Flagged: Your care team was told about this reading.');
      expect(await heartLine.innerText()).toMatch(/Seen by your care team on \d+ \w+ \d{4}, \d\d:\d\d/);
      expect(await accessibilityProblems()).toEqual([]);
      await screenshot('my-readings-flagged');
    },
    TEST_TIMEOUT
  );

  test(
    'a reading taken earlier: the patient says when (not in the future, not older than 7 days); the server has that time',
    async () => {
      const person = await createMonitoredPatient(ctx);
      await signIn(person);
      await page.getByRole('link', { name: 'Add oxygen level' }).click();
      await waitForHeading(page, 'Add your oxygen level');
      await page.getByLabel('Oxygen level (SpO2) (%)').fill('95');
      expect(await page.getByLabel('When did you take it?').inputValue()).toBe('now');
      await page.getByLabel('When did you take it?').selectOption('earlier');

      // Later than now: refused in words on the time field, what was typed stays, nothing is sent.
      const inBrowser = (offsetMs: number) =>
        page.evaluate((ms) => {
          const at = new Date(Date.now() + ms);
          const pad = (n: number) => String(n).padStart(2, '0');
          return {
            day: `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}`,
            time: `${pad(at.getHours())}:${pad(at.getMinutes())}`,
          };
        }, offsetMs);
      const future = await inBrowser(2 * 3_600_000);
      await page.locator('#field-taken-day').fill(future.day);
      await page.locator('#field-taken-time').fill(future.time);
      await page.getByRole('button', { name: 'Save reading' }).click();
      await page.getByText('This time is later than now. Write when you took the reading.').waitFor();
      expect(await page.locator('#field-taken-time').getAttribute('aria-invalid')).toBe('true');
      expect(await page.locator('#field-taken-time').inputValue()).toBe(future.time);
      expect(await page.getByLabel('Oxygen level (SpO2) (%)').inputValue()).toBe('95');
      expect(await accessibilityProblems()).toEqual([]);
      expect(await smallTouchTargets()).toEqual([]);
      await screenshot('add-reading-earlier-refused');

      // Two hours ago (the day may be yesterday just after midnight): sent, and the server has that time.
      const earlier = await inBrowser(-2 * 3_600_000);
      await page.locator('#field-taken-day').fill(earlier.day);
      await page.locator('#field-taken-time').fill(earlier.time);
      await page.getByRole('button', { name: 'Save reading' }).click();
      await page.getByRole('status').getByText('Sent to your care team').waitFor({ timeout: 20_000 });
      const [saved] = await observationsOf(person.patientId);
      const expected = await page.evaluate(({ day, time }) => new Date(`${day}T${time}:00`).toISOString(), earlier);
      expect(Date.parse(saved.effectiveDateTime as string)).toBe(Date.parse(expected));
      expect(Math.abs(Date.now() - 2 * 3_600_000 - Date.parse(expected))).toBeLessThan(5 * 60_000);
      // After sending, the form is back to "Just now".
      expect(await page.getByLabel('When did you take it?').inputValue()).toBe('now');
    },
    TEST_TIMEOUT
  );
});
