// Worklist at scale: a clinician's caseload with readings, launch → worklist interactive timed in Chromium.
// RPM_E2E_BENCH=1 is the benchmark mode (500 patients × 30 days of readings); otherwise a small caseload, so the
// same measurement runs in the suite in seconds.
import type { Bundle, BundleEntry, Observation, Resource } from '@medplum/fhirtypes';
import type { Browser, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildAlert } from '../bots/src/alerts/buildAlert.ts';
import { createStaffPerson, nextTotp, type TestPerson } from '../server/src/testing/smartFlow.ts';
import { useTestServer } from '../server/src/testing/testServer.ts';
import { registerClinicianApp } from './clinicianAppClient.ts';
import { createResource, launchChromium, randomSuffix, waitForHeading, waitForUrl } from './support.ts';

const BENCH = process.env.RPM_E2E_BENCH === '1';
/** The caseload: 500 patients with 30 days of readings in benchmark mode. */
const PATIENTS = BENCH ? 500 : 20;
const DAYS = BENCH ? 30 : 2;
/** Readings a day (08:00 and 20:00 UTC), each time four vital signs: 240 Observations a patient over 30 days. */
const READING_HOURS = [8, 20];
/** One patient in ten has an open alert; NEWS2 scores once a day for the last week. */
const ALERT_EVERY = 10;
const NEWS2_DAYS = Math.min(DAYS, 7);
const LOADS = 3;
const BUNDLE_ENTRIES = 1000;
const IN_FLIGHT = 3;

// No bots or background jobs: the seeding measures loading, not alerting (the bench's alerting scenario does that).
const ctx = useTestServer({ RPM_BUILT_IN_BOTS: 'false', RPM_RUN_JOBS: 'false' });

const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';
const VITAL_SIGNS = [
  { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] },
];

let browser: Browser;
let page: Page;
let clientId: string;
let appUrl: string;
let clinician: TestPerson & { practitionerId: string };

function nhsNumber(index: number): string {
  for (let salt = 0; ; salt++) {
    const nine = String(900_000_000 + index * 37 + salt).slice(0, 9);
    const check = 11 - ([...nine].reduce((total, d, i) => total + Number(d) * (10 - i), 0) % 11);
    if (check !== 10) {
      return `${nine}${check === 11 ? 0 : check}`;
    }
  }
}

function quantity(patient: string, code: string, time: string, value: number, unit: string, ucum: string): Observation {
  return {
    resourceType: 'Observation',
    status: 'final',
    category: VITAL_SIGNS,
    code: { coding: [{ system: LOINC, code }] },
    subject: { reference: patient },
    effectiveDateTime: time,
    valueQuantity: { value, unit, system: UCUM, code: ucum },
  };
}

/** Four vital signs taken together: heart rate, blood pressure, SpO2, temperature (normal values, some noise). */
function readingsAt(patient: string, time: string, i: number): Observation[] {
  const bp: Observation = {
    resourceType: 'Observation',
    status: 'final',
    category: VITAL_SIGNS,
    code: { coding: [{ system: LOINC, code: '85354-9' }] },
    subject: { reference: patient },
    effectiveDateTime: time,
    component: [
      { code: { coding: [{ system: LOINC, code: '8480-6' }] }, valueQuantity: mmHg(120 + (i % 20)) },
      { code: { coding: [{ system: LOINC, code: '8462-4' }] }, valueQuantity: mmHg(75 + (i % 10)) },
    ],
  };
  return [
    quantity(patient, '8867-4', time, 60 + (i % 30), 'beats/minute', '/min'),
    bp,
    quantity(patient, '2708-6', time, 94 + (i % 5), '%', '%'),
    quantity(patient, '8310-5', time, 36.5 + (i % 10) / 10, 'Cel', 'Cel'),
  ];
}

function mmHg(value: number) {
  return { value, unit: 'mmHg', system: UCUM, code: 'mm[Hg]' };
}

function news2(patient: string, time: string, score: number): Observation {
  const band = score >= 7 ? 'high' : score >= 5 ? 'medium' : score >= 1 ? 'low' : 'low';
  return {
    resourceType: 'Observation',
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'survey' }] }],
    code: { coding: [{ system: 'http://snomed.info/sct', code: '1104051000000101' }], text: 'NEWS2 total score' },
    subject: { reference: patient },
    effectiveDateTime: time,
    valueInteger: score,
    interpretation: [{ coding: [{ system: 'http://rpm-platform.org/fhir/CodeSystem/rpm-news2-risk', code: band }] }],
  };
}

/** Sends transaction Bundles of these entries, IN_FLIGHT at a time; returns the response locations in order. */
async function sendAll(entries: BundleEntry[], size = BUNDLE_ENTRIES): Promise<string[]> {
  const bundles: BundleEntry[][] = [];
  for (let i = 0; i < entries.length; i += size) {
    bundles.push(entries.slice(i, i + size));
  }
  const locations: string[][] = new Array(bundles.length);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < bundles.length) {
      const index = next++;
      const body: Bundle = { resourceType: 'Bundle', type: 'transaction', entry: bundles[index] };
      const res = await ctx.api('', { method: 'POST', body: JSON.stringify(body) });
      const answer = (await res.json()) as Bundle;
      if (res.status !== 200) {
        throw new Error(`Seeding bundle ${index} failed: ${res.status} ${JSON.stringify(answer).slice(0, 500)}`);
      }
      locations[index] = (answer.entry ?? []).map((e) => e.response?.location ?? '');
    }
  }
  await Promise.all(Array.from({ length: IN_FLIGHT }, () => worker()));
  return locations.flat();
}

const post = (resource: Resource, fullUrl?: string): BundleEntry => ({
  ...(fullUrl ? { fullUrl } : {}),
  resource,
  request: { method: 'POST', url: resource.resourceType },
});

/** The caseload: patients with care teams and CarePlans, then their readings, NEWS2 scores and some alerts. */
async function seedCaseload(suffix: string): Promise<{ seconds: number; observations: number; vacuumSeconds: number }> {
  const started = performance.now();
  const programme = await createResource(ctx, {
    resourceType: 'PlanDefinition',
    url: `http://rpm-platform.org/fhir/PlanDefinition/scale-${suffix}`,
    status: 'active',
    title: `Heart failure ${suffix}`,
  });
  const patientEntries: BundleEntry[] = [];
  for (let i = 0; i < PATIENTS; i++) {
    const url = `urn:uuid:${crypto.randomUUID()}`;
    patientEntries.push(
      post(
        {
          resourceType: 'Patient',
          identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: nhsNumber(i) }],
          name: [{ given: [`Pat${i}`], family: `Scale${suffix}` }],
          gender: i % 2 ? 'female' : 'male',
          birthDate: `19${40 + (i % 50)}-01-15`,
        },
        url
      ),
      post({
        resourceType: 'CareTeam',
        status: 'active',
        name: `Ward team ${suffix}`,
        subject: { reference: url },
        participant: [{ member: { reference: `Practitioner/${clinician.practitionerId}` } }],
      }),
      post({
        resourceType: 'CarePlan',
        status: 'active',
        intent: 'plan',
        subject: { reference: url },
        instantiatesCanonical: [programme.url as string],
      })
    );
  }
  // 100 patients a Bundle: a patient's three entries (and their urn:uuid references) stay in one transaction.
  const patientIds = (await sendAll(patientEntries, 300))
    .filter((location) => location.startsWith('Patient/'))
    .map((location) => location.split('/')[1]);
  expect(patientIds).toHaveLength(PATIENTS);

  const now = new Date();
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const entries: BundleEntry[] = [];
  patientIds.forEach((id, p) => {
    const patient = `Patient/${id}`;
    for (let day = 0; day < DAYS; day++) {
      for (const hour of READING_HOURS) {
        const at = today - day * 86_400_000 + hour * 3_600_000;
        if (at <= now.getTime()) {
          entries.push(...readingsAt(patient, new Date(at).toISOString(), p + day + hour).map((o) => post(o)));
        }
      }
    }
    for (let day = 0; day < NEWS2_DAYS; day++) {
      const at = new Date(Math.min(now.getTime(), today - day * 86_400_000 + 8 * 3_600_000)).toISOString();
      entries.push(post(news2(patient, at, (p + day) % 8)));
    }
    if (p % ALERT_EVERY === 0) {
      entries.push(
        post(
          buildAlert({
            patient: { reference: patient },
            rule: 'vital-sign-threshold',
            qualifier: '8867-4',
            severity: p % (ALERT_EVERY * 2) === 0 ? 'high' : 'moderate',
            observations: [],
            explanation: 'Heart rate outside the limits',
            identified: new Date(now.getTime() - 600_000),
          })
        )
      );
    }
  });
  await sendAll(entries);
  const observations = entries.filter((e) => e.resource?.resourceType === 'Observation').length;
  const seconds = (performance.now() - started) / 1000;
  // A bulk-loaded database has no planner statistics yet; a running one (autovacuum) always has them. Without them
  // PostgreSQL picks plans for 1-row tables (bench/README.md, step 6): measure the worklist, not that.
  // The CHECKPOINT writes out the bulk load now, rather than during the measured loads.
  const vacuumStarted = performance.now();
  await ctx.server.pool.query('VACUUM (ANALYZE)');
  await ctx.server.pool.query('CHECKPOINT');
  return { seconds, observations, vacuumSeconds: (performance.now() - vacuumStarted) / 1000 };
}

async function signIn(): Promise<void> {
  await page.goto(`${appUrl}launch.html?clientId=${clientId}`);
  await waitForUrl(page, (url) => url.pathname.startsWith('/oauth2/interaction/'));
  await page.locator('#email').fill(clinician.email);
  await page.locator('#password').fill(clinician.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await waitForHeading(page, 'Enter your security code');
  await page.locator('#code').fill(nextTotp(clinician));
  await page.getByRole('button', { name: 'Continue' }).click();
  await waitForUrl(page, (url) => url.href.startsWith(appUrl) && !url.searchParams.has('code'), 60_000);
  // The launch lands on the worklist: let that first load finish, so it does not overlap the measured ones.
  await waitForRows();
}

async function waitForRows(): Promise<void> {
  await page.waitForFunction(
    (expected) => document.querySelectorAll('[data-testid="worklist"] tbody tr').length === expected,
    PATIENTS,
    { timeout: 120_000, polling: 20 }
  );
}

/**
 * One load of the app (the SMART session kept in sessionStorage, as when the app is opened again in its tab): ms from
 * navigation start until every row is rendered and the first row's link takes focus; FHIR requests made meanwhile.
 * It starts from an empty page, as a launch does, not from a worklist of 500 rows the browser would first tear down.
 */
async function timeWorklistLoad(): Promise<Load> {
  await page.goto('about:blank');
  let requests = 0;
  const count = (request: Request): void => {
    if (request.url().includes('/fhir/R4/')) {
      requests++;
    }
  };
  const finished: { what: string; ms: number; endMs: number }[] = [];
  const timed = (request: Request): void => {
    const url = new URL(request.url());
    if (url.pathname.includes('/fhir/R4/')) {
      const timing = request.timing();
      const params = [...url.searchParams.keys()].filter((k) => !/subject|patient|participant/.test(k));
      finished.push({
        what: `${url.pathname.replace(/.*\/fhir\/R4\//, '')}?${params.join('&')}`,
        ms: timing.responseEnd,
        endMs: timing.startTime + timing.responseEnd,
      });
    }
  };
  page.on('request', count);
  page.on('requestfinished', timed);
  const navigationStart = Date.now();
  await page.goto(`${appUrl}worklist`);
  await waitForRows();
  const ms = await page.evaluate(() => {
    const link = document.querySelector<HTMLAnchorElement>('[data-testid="worklist"] tbody tr th a');
    link?.focus();
    if (document.activeElement !== link) {
      throw new Error('The first row is not focusable');
    }
    return performance.now();
  });
  page.off('request', count);
  page.off('requestfinished', timed);
  const lastResponseMs = Math.max(0, ...finished.map((f) => f.endMs - navigationStart));
  const slowest = finished
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 4)
    .map((f) => `${f.what} ${Math.round(f.ms)} ms`);
  return { ms, requests, lastResponseMs, slowest };
}

interface Load {
  /** Navigation start → all rows rendered and the first focusable. */
  ms: number;
  requests: number;
  /** Navigation start (as seen by the test) → the last FHIR response of the load. */
  lastResponseMs: number;
  slowest: string[];
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

beforeAll(async () => {
  browser = await launchChromium();
  ({ clientId, appUrl } = await registerClinicianApp(ctx, 'scale'));
  clinician = await createStaffPerson(ctx.server, { role: 'clinician' });
}, 300_000);
afterAll(async () => {
  await browser?.close();
});

describe(`worklist of ${PATIENTS} patients × ${DAYS} days of readings${BENCH ? ' (benchmark mode)' : ''}`, () => {
  test(
    'the seeded caseload is loaded; launch → worklist interactive is measured (median of 3 loads)',
    async () => {
      const suffix = randomSuffix();
      const seeded = await seedCaseload(suffix);
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      page = await context.newPage();
      await signIn();
      const loads: Load[] = [];
      for (let i = 0; i < LOADS; i++) {
        loads.push(await timeWorklistLoad());
      }
      const rows = page.getByTestId('worklist').locator('tbody tr');
      expect(await rows.count()).toBe(PATIENTS);
      // Acuity order holds at scale: a red alert first; every row names the programme.
      expect(await rows.first().innerText()).toContain('Red');
      expect(await rows.nth(PATIENTS - 1).innerText()).toContain(`Heart failure ${suffix}`);
      await context.close();

      const report = [
        `worklist benchmark: ${PATIENTS} patients, ${seeded.observations} Observations (${DAYS} days)`,
        `  seeding: ${seeded.seconds.toFixed(1)} s (${Math.round(seeded.observations / seeded.seconds)} Observations/s), then VACUUM (ANALYZE) ${seeded.vacuumSeconds.toFixed(1)} s`,
        `  launch → worklist interactive: ${loads.map((l) => `${Math.round(l.ms)} ms`).join(', ')}; median ${Math.round(median(loads.map((l) => l.ms)))} ms`,
        `  FHIR requests per load: ${loads.map((l) => l.requests).join(', ')}`,
        `  last FHIR response after: ${loads.map((l) => `${Math.round(l.lastResponseMs)} ms`).join(', ')}`,
        ...loads.map((l, i) => `  slowest requests, load ${i + 1}: ${l.slowest.join('; ')}`),
      ].join('\n');
      console.log(report);
    },
    BENCH ? 900_000 : 180_000
  );
});
