// The clinician app's enrolment and discharge in headless Chromium: NHS number checked, one transaction written,
// the patient joins and leaves the worklist; smart_style_url applied; axe on the enrolment screen at two sizes.
import { mkdirSync, readFileSync } from 'node:fs';
import { AxeBuilder } from '@axe-core/playwright';
import type {
  Bundle,
  CarePlan,
  CareTeam,
  DetectedIssue,
  Patient,
  PlanDefinition,
  PractitionerRole,
} from '@medplum/fhirtypes';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { buildAlert } from '../bots/src/alerts/buildAlert.ts';
import { createStaffPerson, nextTotp, type TestPerson } from '../server/src/testing/smartFlow.ts';
import { useTestServer } from '../server/src/testing/testServer.ts';
import { registerClinicianApp } from './clinicianAppClient.ts';
import { createResource, launchChromium, randomSuffix, waitForHeading, waitForUrl } from './support.ts';

const ctx = useTestServer();
const TEST_TIMEOUT = 120_000;
const POLL = { timeout: 15_000 };
const ARTIFACTS = new URL('./artifacts/clinician-app/', import.meta.url).pathname;
const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const VIEWPORTS = [
  { name: 'desktop 1280x800', size: { width: 1280, height: 800 } },
  { name: 'tablet 768x1024', size: { width: 768, height: 1024 } },
];
const NHS_SYSTEM = 'https://fhir.nhs.uk/Id/nhs-number';

let browser: Browser;
let context: BrowserContext;
let page: Page;
let clientId: string;
let appUrl: string;
let pageErrors: string[];

interface Organisation {
  clinician: TestPerson & { practitionerId: string };
  colleague: { id: string; name: string };
  organizationId: string;
  programme: PlanDefinition & { id: string };
  suffix: string;
}

/** A valid NHS number (Modulus 11) from 9 random digits. */
function validNhsNumber(): string {
  for (;;) {
    const digits = Array.from({ length: 9 }, () => Math.floor(Math.random() * 10));
    const check = 11 - (digits.reduce((total, d, i) => total + d * (10 - i), 0) % 11);
    if (check !== 10) {
      return [...digits, check === 11 ? 0 : check].join('');
    }
  }
}

/**
 * An organization with a clinician (MFA enrolled) and a colleague (each a PractitionerRole there), and a monitoring
 * programme: a copy of the heart-failure example PlanDefinition under a url of this test's own.
 */
async function createOrganisation(): Promise<Organisation> {
  const suffix = randomSuffix();
  const clinician = await createStaffPerson(ctx.server, { role: 'clinician' });
  const organization = await createResource(ctx, { resourceType: 'Organization', name: `Virtual ward ${suffix}` });
  const colleague = await createResource(ctx, {
    resourceType: 'Practitioner',
    name: [{ given: ['Cole'], family: `League${suffix}` }],
  });
  for (const practitioner of [clinician.practitionerId, colleague.id]) {
    await createResource<PractitionerRole>(ctx, {
      resourceType: 'PractitionerRole',
      practitioner: { reference: `Practitioner/${practitioner}` },
      organization: { reference: `Organization/${organization.id}` },
    });
  }
  const example = JSON.parse(
    readFileSync(
      new URL('../fhir/profiles/examples/rpm-threshold-programme-heart-failure.json', import.meta.url),
      'utf8'
    )
  ) as PlanDefinition;
  const { id: _id, ...rest } = example;
  const programme = await createResource<PlanDefinition>(ctx, {
    ...rest,
    url: `http://rpm-platform.org/fhir/PlanDefinition/e2e-enrolment-${suffix}`,
    title: `Heart failure ${suffix}`,
    status: 'active',
  });
  return {
    clinician,
    colleague: { id: colleague.id, name: `Cole League${suffix}` },
    organizationId: organization.id,
    programme,
    suffix,
  };
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launchChromium();
  ({ clientId, appUrl } = await registerClinicianApp(ctx, 'enrolment'));
}, 300_000);
afterAll(async () => {
  await browser?.close();
});
beforeEach(async () => {
  context = await browser.newContext({ viewport: VIEWPORTS[0].size });
  page = await context.newPage();
  pageErrors = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
});
afterEach(async () => {
  await context?.close();
  expect(pageErrors, 'uncaught errors in the app').toEqual([]);
});

async function screenshot(name: string): Promise<void> {
  await page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });
}

async function signIn(person: TestPerson): Promise<void> {
  await page.goto(`${appUrl}launch.html?clientId=${clientId}`);
  await waitForUrl(page, (url) => url.pathname.startsWith('/oauth2/interaction/'));
  await page.locator('#email').fill(person.email);
  await page.locator('#password').fill(person.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await waitForHeading(page, 'Enter your security code');
  await page.locator('#code').fill(nextTotp(person));
  await page.getByRole('button', { name: 'Continue' }).click();
  await waitForUrl(page, (url) => url.href.startsWith(appUrl) && !url.searchParams.has('code'));
  await waitForHeading(page, 'Caseload');
}

async function seriousViolations(): Promise<string[]> {
  const found: string[] = [];
  for (const viewport of VIEWPORTS) {
    await page.setViewportSize(viewport.size);
    const results = await new AxeBuilder({ page }).withTags(WCAG_TAGS).setLegacyMode(true).analyze();
    for (const v of results.violations.filter((x) => x.impact === 'serious' || x.impact === 'critical')) {
      found.push(`[${viewport.name}] ${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    }
    await screenshot(`enrolment-form-${viewport.size.width}`);
  }
  await page.setViewportSize(VIEWPORTS[0].size);
  return found;
}

async function search<T>(query: string): Promise<T[]> {
  const bundle = (await (await ctx.api(query)).json()) as Bundle;
  return (bundle.entry ?? []).map((e) => e.resource as T);
}

async function worklistNames(): Promise<string[]> {
  const table = page.getByTestId('worklist');
  if ((await table.count()) === 0) {
    return [];
  }
  return (await table.locator('tbody tr th a').allInnerTexts()).map((t) => t.trim());
}

describe('an ended session', () => {
  test(
    'a session that ends while typing launches again and comes back to the form with the typed text',
    async () => {
      const org = await createOrganisation();
      await signIn(org.clinician);
      await page.getByRole('link', { name: 'Enrol a patient' }).click();
      await waitForHeading(page, 'Enrol a patient');
      const family = `Kept${org.suffix}`;
      await page.getByLabel('NHS number').fill('943 476 5919');
      await page.getByLabel('Last name').fill(family);
      // The server ends the session: the app's access token is revoked (as when a session times out).
      const token = await page.evaluate(() => {
        for (const key of Object.keys(sessionStorage)) {
          try {
            const value = JSON.parse(sessionStorage.getItem(key) ?? 'null') as {
              tokenResponse?: { access_token?: string };
            } | null;
            if (value?.tokenResponse?.access_token) {
              return value.tokenResponse.access_token;
            }
          } catch {
            // A draft (plain text), not fhirclient's state.
          }
        }
        return undefined;
      });
      expect(token).toBeTruthy();
      const revoked = await fetch(`${ctx.server.baseUrl}/oauth2/revoke`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: token as string, client_id: clientId }),
      });
      expect(revoked.status).toBe(200);
      await page.getByLabel('First name').fill('Grace');
      await page.getByLabel('Date of birth').fill('1950-06-15');
      await page.getByRole('radio', { name: 'Female' }).check();
      await page.getByRole('textbox', { name: 'Monitoring programme' }).click();
      await page.getByRole('option', { name: org.programme.title as string }).click();
      // The next FHIR call answers 401: the app launches again (the sign-in session is still there: no page) and
      // comes back to the enrolment form, the typed text kept.
      await page.evaluate(() => Object.assign(window, { beforeRelaunch: true }));
      await page.getByRole('button', { name: 'Enrol patient' }).click();
      // A new page load (the launch), then back at the form.
      await page.waitForFunction(() => !('beforeRelaunch' in window), undefined, { timeout: 30_000 });
      await waitForUrl(page, (url) => url.pathname.endsWith('/enrol') && !url.searchParams.has('code'), 30_000);
      await waitForHeading(page, 'Enrol a patient');
      expect(await page.getByLabel('NHS number').inputValue()).toBe('943 476 5919');
      expect(await page.getByLabel('First name').inputValue()).toBe('Grace');
      expect(await page.getByLabel('Last name').inputValue()).toBe(family);
      await screenshot('enrolment-after-session-ended');
    },
    TEST_TIMEOUT
  );
});

describe('enrolment and discharge', () => {
  test(
    'an invalid NHS number is refused in words and the input kept; a valid one enrols the patient; discharge ends it',
    async () => {
      const org = await createOrganisation();
      await signIn(org.clinician);

      // The server's smart_style_url (colours of the sign-in pages) is applied to the app.
      await expect
        .poll(() => page.evaluate(() => getComputedStyle(document.body).backgroundColor), POLL)
        .toBe('rgb(240, 244, 245)');
      const enrolButton = page.getByRole('link', { name: 'Enrol a patient' });
      expect(await enrolButton.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(0, 94, 184)');
      await screenshot('worklist-before-enrolment');

      // Keyboard: the enrolment screen is reached from the worklist.
      await enrolButton.focus();
      await page.keyboard.press('Enter');
      await waitForHeading(page, 'Enrol a patient');
      await page.getByRole('textbox', { name: 'Monitoring programme' }).waitFor();
      expect(await seriousViolations()).toEqual([]);

      const family = `Enrolled${org.suffix}`;
      await page.getByLabel('NHS number').fill('943 476 5918');
      await page.getByLabel('First name').fill('Ada');
      await page.getByLabel('Last name').fill(family);
      await page.getByLabel('Date of birth').fill('1950-06-15');
      await page.getByRole('radio', { name: 'Female' }).check();
      await page.getByLabel('Mobile phone (for notifications)').fill('07700 900123');
      await page.getByRole('textbox', { name: 'Monitoring programme' }).click();
      await page.getByRole('option', { name: org.programme.title as string }).click();
      await page.getByRole('checkbox', { name: org.colleague.name }).check();
      await page.getByLabel('Weight: times').fill('08:30, 20:00');
      await page.getByRole('button', { name: 'Enrol patient' }).click();

      const problems = page.getByTestId('enrol-problems');
      await problems.waitFor(POLL);
      expect(await problems.innerText()).toContain('This is not a valid NHS number');
      expect(await page.getByLabel('NHS number').inputValue()).toBe('943 476 5918');
      expect(await page.getByLabel('Last name').inputValue()).toBe(family);
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('enrol-nhs-number');
      await screenshot('enrolment-invalid-nhs-number');
      expect(await search<Patient>(`Patient?family=${family}`)).toEqual([]);

      const nhs = validNhsNumber();
      await page.getByLabel('NHS number').fill(nhs);
      await page.getByRole('button', { name: 'Enrol patient' }).click();
      await waitForHeading(page, 'Caseload');
      const notice = page.getByTestId('worklist-notice');
      await expect.poll(() => notice.innerText(), POLL).toContain(`Ada ${family}`);
      await expect.poll(() => worklistNames(), POLL).toContain(`Ada ${family}`);
      await screenshot('worklist-after-enrolment');

      // What the server holds: Patient, CareTeam and monitoring CarePlan, written together.
      const [patient] = await search<Patient>(`Patient?identifier=${NHS_SYSTEM}|${nhs}`);
      expect(patient.name?.[0]).toMatchObject({ given: ['Ada'], family });
      expect(patient.birthDate).toBe('1950-06-15');
      expect(patient.gender).toBe('female');
      expect(patient.managingOrganization?.reference).toBe(`Organization/${org.organizationId}`);
      expect(patient.telecom).toEqual([{ system: 'phone', value: '07700 900123', use: 'mobile' }]);
      const [team] = await search<CareTeam>(`CareTeam?subject=Patient/${patient.id}`);
      expect(team.status).toBe('active');
      expect(team.participant?.map((p) => p.member?.reference)).toEqual([
        `Practitioner/${org.clinician.practitionerId}`,
        `Practitioner/${org.colleague.id}`,
      ]);
      const [plan] = await search<CarePlan>(`CarePlan?subject=Patient/${patient.id}`);
      expect(plan.status).toBe('active');
      expect(plan.meta?.profile).toContain('http://rpm-platform.org/fhir/StructureDefinition/rpm-monitoring-careplan');
      expect(plan.instantiatesCanonical).toEqual([org.programme.url]);
      expect(plan.activity?.[0].detail?.scheduledTiming?.repeat?.timeOfDay).toEqual(['08:30:00', '20:00:00']);
      expect(plan.activity).toHaveLength(org.programme.action?.length ?? 0);

      // The same NHS number again: a plain message, nothing written.
      await page.getByRole('link', { name: 'Enrol a patient' }).click();
      await waitForHeading(page, 'Enrol a patient');
      await page.getByLabel('NHS number').fill(nhs);
      await page.getByLabel('First name').fill('Ada');
      await page.getByLabel('Last name').fill(family);
      await page.getByLabel('Date of birth').fill('1950-06-15');
      await page.getByRole('radio', { name: 'Female' }).check();
      await page.getByRole('textbox', { name: 'Monitoring programme' }).click();
      await page.getByRole('option', { name: org.programme.title as string }).click();
      await page.getByRole('button', { name: 'Enrol patient' }).click();
      const existing = page.getByTestId('enrol-existing');
      await existing.waitFor(POLL);
      expect(await existing.innerText()).toContain('already registered');
      expect(await search<Patient>(`Patient?identifier=${NHS_SYSTEM}|${nhs}`)).toHaveLength(1);
      expect(await search<CareTeam>(`CareTeam?subject=Patient/${patient.id}`)).toHaveLength(1);

      // Discharge, with an open alert the clinician confirms to close.
      const alert = await createResource<DetectedIssue>(
        ctx,
        buildAlert({
          patient: { reference: `Patient/${patient.id}` },
          rule: 'vital-sign-threshold',
          qualifier: '8867-4',
          severity: 'moderate',
          observations: [],
          explanation: 'Heart rate above amber limit',
          identified: new Date(),
        })
      );
      await page.getByRole('link', { name: 'Back to the caseload' }).click();
      await waitForHeading(page, 'Caseload');
      await page.getByRole('link', { name: `Ada ${family}` }).click();
      await page.getByRole('button', { name: 'Discharge from monitoring' }).click();
      const dialog = page.getByRole('dialog', { name: `Discharge Ada ${family}` });
      await dialog.waitFor(POLL);
      expect(await dialog.innerText()).toContain('1 open alert');
      const confirm = dialog.getByRole('button', { name: 'Discharge', exact: true });
      expect(await confirm.isDisabled()).toBe(true);
      await dialog.getByRole('checkbox', { name: /close them as part of the discharge/ }).check();
      await screenshot('discharge-dialog');
      await confirm.click();
      await waitForHeading(page, 'Caseload');
      await expect.poll(() => notice.innerText(), POLL).toContain('was discharged');
      expect(await worklistNames()).not.toContain(`Ada ${family}`);
      await screenshot('worklist-after-discharge');

      const [ended] = await search<CarePlan>(`CarePlan?subject=Patient/${patient.id}`);
      expect(ended.status).toBe('completed');
      expect(ended.period?.end).toBeTruthy();
      const [endedTeam] = await search<CareTeam>(`CareTeam?subject=Patient/${patient.id}`);
      expect(endedTeam.status).toBe('inactive');
      expect(endedTeam.period?.end).toBeTruthy();
      const closed = (await (await ctx.api(`DetectedIssue/${alert.id}`)).json()) as DetectedIssue;
      expect(closed.status).not.toBe('preliminary');
    },
    TEST_TIMEOUT
  );
});
