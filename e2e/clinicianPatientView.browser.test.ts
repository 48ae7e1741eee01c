// The clinician app's patient view in headless Chromium: threshold bands, editing a threshold, escalating an alert,
// messaging the patient (a reply arriving live), devices and schedule; axe on each panel at desktop and tablet sizes.
import { mkdirSync } from 'node:fs';
import { AxeBuilder } from '@axe-core/playwright';
import type {
  Bundle,
  CarePlan,
  Communication,
  DetectedIssue,
  Device,
  Goal,
  Observation,
  PlanDefinition,
  Practitioner,
  PractitionerRole,
} from '@medplum/fhirtypes';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { readExample } from '../bots/src/testing/examples.ts';
import { nextTotp } from '../server/src/testing/smartFlow.ts';
import { adminClient, fhirFetch, useTestServer } from '../server/src/testing/testServer.ts';
import { issueUserToken } from '../server/src/testing/userTokens.ts';
import { registerClinicianApp } from './clinicianAppClient.ts';
import { createClinicianWard, type ClinicianWard, type WardPatient } from './clinicianWard.ts';
import { createResource, heading, launchChromium, waitForHeading, waitForUrl } from './support.ts';

const ctx = useTestServer();
/** Each test signs in and drives several panels: generous under a loaded machine. */
const TEST_TIMEOUT = 180_000;
const POLL = { timeout: 20_000 };
const ARTIFACTS = new URL('./artifacts/clinician-app/', import.meta.url).pathname;
const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const VIEWPORTS = [
  { name: 'desktop 1280x800', size: { width: 1280, height: 800 } },
  { name: 'tablet 768x1024', size: { width: 768, height: 1024 } },
];
const GRACE_EXTENSION = 'http://rpm-platform.org/fhir/StructureDefinition/rpm-reading-grace-period';

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
  ({ clientId, appUrl } = await registerClinicianApp(ctx, 'patient-view'));
}, 300_000);
afterAll(async () => {
  await browser?.close();
});

beforeEach(async () => {
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

async function serverJson<T>(path: string): Promise<T> {
  const response = await ctx.api(path);
  expect(response.status, path).toBe(200);
  return (await response.json()) as T;
}

async function put<T extends { resourceType: string; id?: string }>(resource: T): Promise<void> {
  const response = await ctx.api(`${resource.resourceType}/${resource.id}`, {
    method: 'PUT',
    body: JSON.stringify(resource),
  });
  expect(response.status, `PUT ${resource.resourceType}`).toBe(200);
}

interface PatientViewWorld {
  ward: ClinicianWard;
  patient: WardPatient;
  carePlanId: string;
  onCallName: string;
  onCallRoleId: string;
  device: Device & { id: string };
}

/**
 * The ward (clinicianWard.ts), with its programme given the respiratory virtual ward's amber/red goals, the first
 * patient's CarePlan a blood-pressure schedule, a device that sent a reading, and an on-call registrar to escalate to.
 */
async function createWorld(): Promise<PatientViewWorld> {
  const ward = await createClinicianWard(ctx);
  const patient = ward.patients[0];
  const [programme] = (
    await serverJson<Bundle<PlanDefinition>>(
      `PlanDefinition?url=${encodeURIComponent(`http://rpm-platform.org/fhir/PlanDefinition/e2e-heart-failure-${ward.suffix}`)}`
    )
  ).entry!.map((e) => e.resource!);
  const respiratory = readExample<PlanDefinition>('rpm-threshold-programme-respiratory-virtual-ward');
  await put({ ...programme, goal: respiratory.goal });
  const [carePlan] = (await serverJson<Bundle<CarePlan>>(`CarePlan?subject=Patient/${patient.id}`)).entry!.map(
    (e) => e.resource!
  );
  await put<CarePlan>({
    ...carePlan,
    extension: [
      { url: 'http://rpm-platform.org/fhir/StructureDefinition/rpm-schedule-time-zone', valueCode: 'Europe/London' },
    ],
    activity: [
      {
        detail: {
          status: 'in-progress',
          code: { coding: [{ system: 'http://loinc.org', code: '85354-9', display: 'Blood pressure panel' }] },
          scheduledTiming: {
            repeat: { frequency: 2, period: 1, periodUnit: 'd', timeOfDay: ['08:00:00', '20:00:00'] },
          },
          extension: [
            {
              url: GRACE_EXTENSION,
              valueDuration: { value: 2, unit: 'h', system: 'http://unitsofmeasure.org', code: 'h' },
            },
          ],
        },
      },
    ],
  });
  const device = await createResource<Device>(ctx, {
    resourceType: 'Device',
    status: 'active',
    manufacturer: 'Omron Healthcare',
    modelNumber: 'M7 Intelli IT',
    serialNumber: `SN-${ward.suffix}`,
    deviceName: [{ name: 'Home blood pressure monitor', type: 'user-friendly-name' }],
    version: [{ type: { text: 'firmware' }, value: '2.4.1' }],
    patient: { reference: `Patient/${patient.id}` },
  });
  await createResource<Observation>(ctx, {
    resourceType: 'Observation',
    status: 'final',
    category: [
      { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] },
    ],
    code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }] },
    subject: { reference: `Patient/${patient.id}` },
    device: { reference: `Device/${device.id}` },
    effectiveDateTime: new Date(Date.now() - 60 * 60_000).toISOString(),
    valueQuantity: { value: 76, unit: 'beats/minute', system: 'http://unitsofmeasure.org', code: '/min' },
  });
  const onCall = await createResource<Practitioner>(ctx, {
    resourceType: 'Practitioner',
    name: [{ prefix: ['Dr'], given: ['Asha'], family: `Oncall${ward.suffix}` }],
  });
  const role = await createResource<PractitionerRole>(ctx, {
    resourceType: 'PractitionerRole',
    active: true,
    code: [{ text: `On-call registrar ${ward.suffix}` }],
    practitioner: { reference: `Practitioner/${onCall.id}` },
  });
  return {
    ward,
    patient,
    carePlanId: carePlan.id as string,
    onCallName: `On-call registrar ${ward.suffix} — Dr Asha Oncall${ward.suffix}`,
    onCallRoleId: role.id,
    device,
  };
}

/** Standalone launch, the server's sign-in pages, then the patient's row in the worklist. */
async function openPatient(world: PatientViewWorld): Promise<void> {
  const { ward, patient } = world;
  await page.goto(`${appUrl}launch.html?clientId=${clientId}`);
  await waitForUrl(page, (url) => url.pathname.startsWith('/oauth2/interaction/'));
  expect(await heading(page)).toBe('Sign in');
  await page.locator('#email').fill(ward.clinician.email);
  await page.locator('#password').fill(ward.clinician.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await waitForHeading(page, 'Enter your security code');
  await page.locator('#code').fill(nextTotp(ward.clinician));
  await page.getByRole('button', { name: 'Continue' }).click();
  await waitForHeading(page, 'Caseload');
  await page.getByRole('link', { name: patient.name }).click();
  await waitForUrl(page, (url) => url.pathname.endsWith(`/patient/${patient.id}`));
  await page.getByTestId('patient-banner').waitFor();
}

async function openTab(name: string): Promise<void> {
  await page.getByRole('tab', { name }).click();
  await expect.poll(() => page.getByRole('tab', { name }).getAttribute('aria-selected'), POLL).toBe('true');
}

/** axe on the current page at both sizes, with a screenshot at each: serious and critical violations, described. */
async function checkPanel(name: string): Promise<string[]> {
  const found: string[] = [];
  for (const viewport of VIEWPORTS) {
    await page.setViewportSize(viewport.size);
    await screenshot(`patient-view-${name}-${viewport.size.width}`);
    const results = await new AxeBuilder({ page }).withTags(WCAG_TAGS).setLegacyMode(true).analyze();
    for (const v of results.violations.filter((x) => x.impact === 'serious' || x.impact === 'critical')) {
      found.push(
        `[${name}, ${viewport.name}] ${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`
      );
    }
  }
  await page.setViewportSize(VIEWPORTS[0].size);
  return found;
}

describe('patient view', () => {
  test(
    'threshold bands on the charts with their legend; editing a threshold writes a Goal and shows who changed it',
    async () => {
      const world = await createWorld();
      const { ward, patient } = world;
      await openPatient(world);

      // Bands drawn: the heart-rate chart has amber and red areas, and says in words what they are.
      const heartRate = page.getByRole('figure', { name: 'Heart rate trend' });
      await expect.poll(() => heartRate.locator('svg .rpm-band-amber').count(), POLL).toBeGreaterThan(0);
      expect(await heartRate.locator('svg .rpm-band-red').count()).toBeGreaterThan(0);
      expect(await heartRate.getByTestId('band-legend').innerText()).toContain(
        'Amber: below 51 or above 110 beats/min (programme default)'
      );
      expect(await page.getByRole('figure', { name: 'Blood pressure trend' }).innerText()).toContain(
        'Systolic amber: below 101 or above 179 mmHg (programme default)'
      );
      const violations = await checkPanel('trends');

      // Thresholds: a typing mistake is explained and kept; a valid limit is saved as a Goal.
      await openTab('Thresholds');
      const row = page.locator('[data-measure="heartRate"][data-band="amber"]');
      expect(await row.innerText()).toContain('alerts below 51 or above 110');
      await page.getByRole('button', { name: 'Change Amber pulse limits' }).click();
      const below = page.getByLabel('Alert amber below (beats/min)');
      await below.fill('4S');
      await page.getByRole('button', { name: 'Save limits' }).click();
      await expect
        .poll(() => page.getByTestId('threshold-editor').innerText(), POLL)
        .toContain('Enter a number in beats/min');
      expect(await below.inputValue()).toBe('4S');
      await below.fill('38');
      await page.getByRole('button', { name: 'Save limits' }).click();
      await expect
        .poll(() => page.getByTestId('threshold-editor').innerText(), POLL)
        .toContain('An amber low limit must not be below the red low limit (41 beats/min).');
      await below.fill('45');
      await page.getByLabel('Reason (optional)').fill('Athlete, resting pulse in the 40s');
      await page.getByRole('button', { name: 'Save limits' }).click();
      await expect.poll(() => page.getByTestId('threshold-result').innerText(), POLL).toMatch(/^Saved: Pulse amber/);

      // On the server: one Goal by the signed-in clinician, listed in the CarePlan (where the bots look).
      const goals = await serverJson<Bundle<Goal>>(`Goal?subject=Patient/${patient.id}`);
      expect(goals.entry).toHaveLength(1);
      const goal = goals.entry![0].resource!;
      expect(goal).toMatchObject({
        lifecycleStatus: 'active',
        expressedBy: { reference: `Practitioner/${ward.clinician.practitionerId}`, display: 'Dana Doctor' },
        target: [{ detailRange: { low: { value: 45, code: '/min' } } }],
      });
      expect((await serverJson<CarePlan>(`CarePlan/${world.carePlanId}`)).goal).toEqual([
        { reference: `Goal/${goal.id}` },
      ]);

      // The table, the history (who changed what when) and the chart's legend show it.
      await expect.poll(() => row.innerText(), POLL).toContain('alerts below 45 or above 110');
      const history = page.getByTestId('threshold-history');
      await expect.poll(() => history.innerText(), POLL).toContain('Amber pulse: alerts below 45 beats/min — in force');
      expect(await history.innerText()).toContain('Dana Doctor');
      expect(await history.innerText()).toContain('Athlete, resting pulse in the 40s');
      violations.push(...(await checkPanel('thresholds')));
      await openTab('Trends and readings');
      await expect
        .poll(() => page.getByRole('figure', { name: 'Heart rate trend' }).getByTestId('band-legend').innerText(), POLL)
        .toContain("Amber: below 45 or above 110 beats/min (patient's own limit and programme default)");

      // Withdrawn: the Goal is cancelled (a new version), the programme default applies again, the history has both.
      await openTab('Thresholds');
      await page.getByRole('button', { name: 'Change Amber pulse limits' }).click();
      await page.getByRole('button', { name: 'Remove patient’s limit' }).click();
      await expect
        .poll(() => page.getByTestId('threshold-result').innerText(), POLL)
        .toContain('the programme default applies again');
      expect((await serverJson<Goal>(`Goal/${goal.id}`)).lifecycleStatus).toBe('cancelled');
      await expect.poll(() => history.locator('tbody tr').count(), POLL).toBe(2);
      await expect.poll(() => row.innerText(), POLL).toContain('alerts below 51 or above 110');

      // Devices and schedule.
      await openTab('Devices');
      const device = page.getByTestId('device');
      await expect.poll(() => device.innerText(), POLL).toContain('Omron Healthcare');
      const deviceText = await device.innerText();
      expect(deviceText).toContain('M7 Intelli IT');
      expect(deviceText).toContain(`SN-${ward.suffix}`);
      expect(deviceText).toContain('2.4.1');
      expect(deviceText).toMatch(/Last contact\s+6\d min ago/);
      violations.push(...(await checkPanel('devices')));

      await openTab('Schedule');
      await expect
        .poll(() => page.getByTestId('schedule').innerText(), POLL)
        .toBe('Blood pressure: twice a day, 08:00 and 20:00, allowed 2 h late');
      expect(await page.getByRole('tabpanel').innerText()).toContain('Europe/London time');
      violations.push(...(await checkPanel('schedule')));

      expect(violations).toEqual([]);
    },
    TEST_TIMEOUT
  );

  test(
    'escalating an alert to the on-call registrar, and messaging the patient with their reply arriving live',
    async () => {
      const world = await createWorld();
      const { ward, patient } = world;
      await openPatient(world);

      // Escalate: choosing nobody is explained; choosing the registrar records it on the alert.
      const card = page.locator(`[data-alert-id="${patient.alertIds[0]}"]`);
      await card.getByRole('button', { name: 'Escalate' }).click();
      await expect.poll(() => card.innerText(), POLL).toContain('Choose who to escalate the alert to.');
      await card.getByLabel('Note or outcome').fill('Please call the patient today');
      await expect
        .poll(() => card.getByLabel('Escalate to').locator('option').allInnerTexts(), POLL)
        .toContain(world.onCallName);
      await card.getByLabel('Escalate to').selectOption({ label: world.onCallName });
      await card.getByRole('button', { name: 'Escalate' }).click();
      await expect
        .poll(() => card.getByRole('status').innerText(), POLL)
        .toBe(`Alert escalated to ${world.onCallName}. They have a task and are notified.`);
      const alert = await serverJson<DetectedIssue>(`DetectedIssue/${patient.alertIds[0]}`);
      expect(alert.status).toBe('preliminary');
      const escalation = alert.mitigation?.find((m) => m.action?.coding?.some((c) => c.code === 'escalated'));
      expect(escalation?.action?.text).toContain(`PractitionerRole/${world.onCallRoleId}`);
      expect(escalation?.author?.reference).toBe(`Practitioner/${ward.clinician.practitionerId}`);
      expect(await card.getByTestId('alert-actions').innerText()).toContain('Escalated');
      const violations = await checkPanel('alerts');

      // Messages: an empty message is refused in words; a real one is a Communication on the server.
      await openTab('Messages');
      await expect
        .poll(() => page.getByTestId('patient-live-status').innerText(), POLL)
        .toMatch(/^(Live:|Alerts updated)/);
      await page.getByRole('button', { name: 'Send message' }).click();
      await expect
        .poll(() => page.getByRole('tabpanel').innerText(), POLL)
        .toContain('Write a message before sending.');
      await page.getByLabel('New message to the patient').fill('Your pulse is a little high. How are you feeling?');
      await page.getByRole('button', { name: 'Send message' }).click();
      await expect.poll(() => page.getByRole('tabpanel').getByRole('status').innerText(), POLL).toBe('Message sent.');
      const sent = await serverJson<Bundle<Communication>>(`Communication?subject=Patient/${patient.id}`);
      expect(sent.entry?.map((e) => e.resource)).toEqual([
        expect.objectContaining({
          status: 'completed',
          sender: { reference: `Practitioner/${ward.clinician.practitionerId}` },
          recipient: [{ reference: `Patient/${patient.id}` }],
          payload: [{ contentString: 'Your pulse is a little high. How are you feeling?' }],
        }),
      ]);
      expect(await page.getByLabel('New message to the patient').inputValue()).toBe('');

      // The patient replies through the API with their own token: the reply appears without a page load.
      const loads: string[] = [];
      page.on('framenavigated', (frame) => frame === page.mainFrame() && loads.push(frame.url()));
      const patientToken = await issueUserToken(ctx.server, {
        accountId: `patient-${patient.id}`,
        scope: 'patient/Communication.cruds',
        fhirUser: `Patient/${patient.id}`,
        role: 'patient',
        patient: patient.id,
      });
      const reply: Communication = {
        resourceType: 'Communication',
        status: 'completed',
        subject: { reference: `Patient/${patient.id}` },
        sender: { reference: `Patient/${patient.id}` },
        recipient: [{ reference: `Practitioner/${ward.clinician.practitionerId}` }],
        sent: new Date().toISOString(),
        payload: [{ contentString: 'A bit tired, but no chest pain.' }],
      };
      const response = await fhirFetch(ctx.server, patientToken)('Communication', {
        method: 'POST',
        body: JSON.stringify(reply),
      });
      expect(response.status).toBe(201);
      const thread = page.getByTestId('message-thread');
      await expect.poll(() => thread.innerText(), POLL).toContain('A bit tired, but no chest pain.');
      await expect
        .poll(() => page.getByTestId('patient-live-status').innerText(), POLL)
        .toBe('New message from the patient.');
      const texts = await thread.locator('[data-from]').allInnerTexts();
      expect(texts.map((t) => t.split('\n').at(-1))).toEqual([
        'Your pulse is a little high. How are you feeling?',
        'A bit tired, but no chest pain.',
      ]);
      expect(loads).toEqual([]);
      violations.push(...(await checkPanel('messages')));

      expect(violations).toEqual([]);
    },
    TEST_TIMEOUT
  );
});
