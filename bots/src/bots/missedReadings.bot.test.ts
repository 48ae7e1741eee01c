// Missed-readings bot against the in-memory fake: overdue scheduled readings raise low alerts, once per patient and vital sign.
import { describe, expect, test } from 'vitest';
import type { CarePlan, DetectedIssue, Parameters } from '@medplum/fhirtypes';
import { enrol, fakeWithProgrammes } from '../testing/enrolment.ts';
import { bloodPressure, pulse, spo2, weight } from '../testing/observations.ts';
import type { MedplumClient } from '@medplum/core';
import {
  BATCHES_IN_FLIGHT,
  CARE_PLAN_PAGE_SIZE,
  OUTLINE_PAGE_SIZE,
  carePlansOfSlice,
  PATIENTS_PER_READINGS_SEARCH,
  PATIENTS_PER_RUN,
  runMissedReadings,
  scanMissedReadings,
  sliceInput,
  type MissedReadingsBotResult,
  type MissedReadingsReport,
} from './missedReadings.bot.ts';

const HF = 'Patient/hf';

function setUp() {
  const fake = fakeWithProgrammes();
  enrol(fake, HF, 'heart-failure');
  fake.seed(
    weight(80, '2025-03-10T08:50:00Z', { patient: HF }),
    bloodPressure(120, 80, '2025-03-09T09:00:00Z', { patient: HF }),
    bloodPressure(120, 80, '2025-03-10T08:55:00Z', { patient: HF, status: 'entered-in-error' }),
    pulse(70, '2025-03-10T09:10:00Z', { patient: HF })
  );
  return fake;
}

/**
 * `count` heart-failure patients p0, p1, …: weight, pulse and SpO2 on time at 12:30 on 10 March 2025 (grace 3 h
 * after 09:00), the blood pressure taken at `bpTime(i)`.
 */
function caseload(count: number, bpTime: (i: number) => string) {
  const fake = fakeWithProgrammes();
  for (let i = 0; i < count; i++) {
    const patient = `Patient/p${i}`;
    enrol(fake, patient, 'heart-failure');
    fake.seed(
      weight(80, '2025-03-10T08:50:00Z', { patient }),
      pulse(70, '2025-03-10T09:10:00Z', { patient }),
      spo2(97, '2025-03-10T09:05:00Z', { patient }),
      bloodPressure(120, 80, bpTime(i), { patient })
    );
  }
  return fake;
}

/** Every third patient's blood pressure is a day old (overdue at 12:30), the others' on time. */
const everyThirdBpLate = (i: number) => (i % 3 === 0 ? '2025-03-09T09:00:00Z' : '2025-03-10T09:00:00Z');

describe('missed readings bot', () => {
  test('at 12:30 (grace 3 h after 09:00): the BP and the never-taken SpO2 are overdue; weight and pulse are not', async () => {
    const fake = setUp();
    const result = await scanMissedReadings(fake.client, new Date('2025-03-10T12:30:00Z'));
    expect(result).toMatchObject({ carePlans: 1, schedules: 4, overdue: 2, skipped: [] });
    expect(result.alerts).toEqual([
      { patient: HF, code: '85354-9', outcome: 'created' },
      { patient: HF, code: '2708-6', outcome: 'created' },
    ]);
    const alerts = fake.all<DetectedIssue>('DetectedIssue');
    const bp = alerts.find((a) => a.identifier?.[0].value === 'missed-reading.85354-9:Patient/hf');
    expect(bp).toMatchObject({ severity: 'low', status: 'preliminary' });
    expect(bp?.detail).toBe(
      'Blood pressure: the reading due 10 Mar 2025, 09:00 (Europe/London) has not been received; overdue since ' +
        '10 Mar 2025, 12:00, 1 scheduled reading missed; last reading 9 Mar 2025, 09:00'
    );
    const sp = alerts.find((a) => a.identifier?.[0].value === 'missed-reading.2708-6:Patient/hf');
    expect(sp?.detail).toMatch(/the reading due 1 Mar 2025, 09:00 .* 10 scheduled readings missed; no reading yet$/);
  });

  test('before the grace period ends nothing is overdue', async () => {
    const fake = setUp();
    fake.seed(spo2(97, '2025-03-09T09:00:00Z', { patient: HF }));
    const result = await scanMissedReadings(fake.client, new Date('2025-03-10T11:59:59Z'));
    expect(result).toMatchObject({ overdue: 0, alerts: [] });
  });

  test('a second scan at the same time writes nothing; the next day updates the open alerts', async () => {
    const fake = setUp();
    await scanMissedReadings(fake.client, new Date('2025-03-10T12:30:00Z'));
    const again = await scanMissedReadings(fake.client, new Date('2025-03-10T12:45:00Z'));
    expect(again.alerts.map((a) => a.outcome)).toEqual(['unchanged', 'unchanged']);
    const tomorrow = await scanMissedReadings(fake.client, new Date('2025-03-11T12:30:00Z'));
    expect(tomorrow.alerts.map((a) => `${a.code} ${a.outcome}`)).toEqual([
      '29463-7 created',
      '85354-9 updated',
      '8867-4 created',
      '2708-6 updated',
    ]);
    expect(fake.all('DetectedIssue')).toHaveLength(4);
  });

  test('activities whose Timing is not supported are reported, not guessed', async () => {
    const fake = setUp();
    const carePlan = fake.all<CarePlan>('CarePlan')[0];
    carePlan.activity![0].detail!.scheduledTiming = { repeat: { dayOfWeek: ['mon'], timeOfDay: ['09:00:00'] } };
    await fake.updateResource(carePlan);
    const result = await scanMissedReadings(fake.client, new Date('2025-03-10T12:30:00Z'));
    expect(result.skipped).toEqual(['CarePlan/careplan-hf: dayOfWeek, when and event are not supported']);
    expect(result.schedules).toBe(3);
  });

  test('CarePlans that ended or are not active are not scanned', async () => {
    const fake = setUp();
    const carePlan = fake.all<CarePlan>('CarePlan')[0];
    await fake.updateResource({ ...carePlan, period: { start: '2025-03-01T08:00:00Z', end: '2025-03-05T00:00:00Z' } });
    expect(await scanMissedReadings(fake.client, new Date('2025-03-10T12:30:00Z'))).toMatchObject({ carePlans: 0 });
  });

  test('a caseload larger than a page of CarePlans is scanned in full, a hundred patients per readings search', async () => {
    const count = CARE_PLAN_PAGE_SIZE + 21;
    // The blood pressure of every third patient is not on time, and the last one of those had a reading long ago
    // (found by the single look-up, outside the recent window).
    const fake = caseload(count, (i) =>
      i % 3 !== 0 ? '2025-03-10T09:00:00Z' : i > 0 ? '2025-02-01T09:00:00Z' : '2025-01-01T09:00:00Z'
    );
    const result = await scanMissedReadings(fake.client, new Date('2025-03-10T12:30:00Z'));
    const overdue = Array.from({ length: count }, (_, i) => i).filter((i) => i % 3 === 0);
    expect(result).toMatchObject({ carePlans: count, schedules: 4 * count, overdue: overdue.length });
    expect(result.alerts.map((a) => a.patient)).toEqual(overdue.map((i) => `Patient/p${i}`));
    expect(result.alerts.every((a) => a.code === '85354-9' && a.outcome === 'created')).toBe(true);
    const bp = fake.all<DetectedIssue>('DetectedIssue').find((a) => a.identifier?.[0].value?.endsWith('Patient/p3'));
    expect(bp?.detail).toMatch(/last reading 1 Feb 2025, 09:00$/);
    const searches = fake.log.filter((l) => l.startsWith('search'));
    const batches = Math.ceil(count / PATIENTS_PER_READINGS_SEARCH);
    expect(searches.filter((l) => l.startsWith('search pages CarePlan'))).toHaveLength(1);
    // Per batch of a hundred patients: the recent readings, the month before for those without, their open alerts.
    expect(searches.filter((l) => l.startsWith('search pages Observation'))).toHaveLength(2 * batches);
    expect(searches.filter((l) => l.startsWith('search pages DetectedIssue'))).toHaveLength(batches);
    // Silent for more than a month: one search per batch finds that some took readings before, then one look-up each.
    expect(searches.filter((l) => l.startsWith('search Observation'))).toHaveLength(batches + overdue.length);
    expect(searches.filter((l) => l.startsWith('search DetectedIssue'))).toHaveLength(0);
  });

  test('a reading in the month before the recent window is found without a look-up of its own', async () => {
    const fake = setUp();
    fake.seed(spo2(97, '2025-02-20T09:00:00Z', { patient: HF }));
    const result = await scanMissedReadings(fake.client, new Date('2025-03-10T12:30:00Z'));
    const sp = fake.all<DetectedIssue>('DetectedIssue').find((a) => a.identifier?.[0].value?.includes('2708-6'));
    expect(result.overdue).toBe(2);
    expect(sp?.detail).toMatch(/last reading 20 Feb 2025, 09:00$/);
    expect(fake.log.filter((l) => l.startsWith('search Observation'))).toHaveLength(0);
  });

  test('new patients who never took a reading cost one search for the batch, not one per scheduled reading', async () => {
    const fake = fakeWithProgrammes();
    for (let i = 0; i < 10; i++) {
      enrol(fake, `Patient/new${i}`, 'heart-failure');
    }
    const result = await scanMissedReadings(fake.client, new Date('2025-03-10T12:30:00Z'));
    expect(result).toMatchObject({ schedules: 40, overdue: 40 });
    expect(result.alerts.every((a) => a.outcome === 'created')).toBe(true);
    expect(fake.log.filter((l) => l.startsWith('search Observation'))).toHaveLength(1);
    expect(fake.log.filter((l) => l.startsWith('transaction'))).toEqual(['transaction 40 entries']);
    const details = fake.all<DetectedIssue>('DetectedIssue').map((a) => a.detail);
    expect(details.every((d) => d?.endsWith('no reading yet'))).toBe(true);
  });

  test('open alerts are read once per batch: a scan that changes nothing writes nothing and searches no alert', async () => {
    const fake = setUp();
    await scanMissedReadings(fake.client, new Date('2025-03-10T12:30:00Z'));
    const before = fake.log.length;
    const again = await scanMissedReadings(fake.client, new Date('2025-03-10T12:45:00Z'));
    expect(again.alerts.map((a) => a.outcome)).toEqual(['unchanged', 'unchanged']);
    const requests = fake.log.slice(before);
    expect(requests.filter((l) => l.startsWith('create') || l.startsWith('update'))).toEqual([]);
    expect(requests.filter((l) => l.includes('DetectedIssue'))).toHaveLength(1);
  });

  describe('batches checked at once', () => {
    /** 750 new patients: eight batches of a hundred patients (the last of fifty), each with its four overdue readings. */
    function largeCaseload() {
      const fake = fakeWithProgrammes();
      for (let i = 0; i < 750; i++) {
        enrol(fake, `Patient/n${String(i).padStart(3, '0')}`, 'heart-failure');
      }
      return fake;
    }

    /** The fake client, with each batch's recent-readings search taking a while (as a real round trip does). */
    function slowReadings(client: MedplumClient, onSearch: (active: number) => void, fail?: number): MedplumClient {
      let active = 0;
      let searches = 0;
      return new Proxy(client, {
        get(target, name, receiver) {
          if (name !== 'searchResourcePages') {
            return Reflect.get(target, name, receiver);
          }
          return async function* (resourceType: string, query: unknown) {
            if (resourceType === 'Observation') {
              const n = ++searches;
              active++;
              onSearch(active);
              await new Promise((r) => setTimeout(r, 20));
              active--;
              if (n === fail) {
                throw new Error(`search ${n} failed`);
              }
            }
            yield* target.searchResourcePages(resourceType as 'Observation', query as never);
          };
        },
      });
    }

    test(`up to ${BATCHES_IN_FLIGHT} at once, results in batch order`, async () => {
      const fake = largeCaseload();
      const seen: number[] = [];
      const result = await scanMissedReadings(
        slowReadings(fake.client, (active) => seen.push(active)) as never,
        new Date('2025-03-10T12:30:00Z')
      );
      expect(Math.max(...seen)).toBe(BATCHES_IN_FLIGHT);
      expect(result).toMatchObject({ carePlans: 750, overdue: 3000 });
      const patients = [...new Set(result.alerts.map((a) => a.patient))];
      expect(patients).toEqual([...patients].sort());
      expect(patients).toHaveLength(750);
      expect(fake.all('DetectedIssue')).toHaveLength(3000);
    });

    test('patients not yet alerted are checked before those an earlier run alerted, so a cut-off run still opens new alerts', async () => {
      const fake = fakeWithProgrammes();
      const enrolRange = (from: number, to: number) => {
        for (let i = from; i < to; i++) {
          enrol(fake, `Patient/n${String(i).padStart(3, '0')}`, 'heart-failure');
        }
      };
      const now = new Date('2025-03-10T12:30:00Z');
      enrolRange(0, 300);
      expect((await scanMissedReadings(fake.client, now)).alerts).toHaveLength(1200);
      // Two more batches of patients who never took a reading, enrolled after the first scan (later in the scan order).
      enrolRange(300, 500);
      const before = fake.log.length;
      const result = await scanMissedReadings(slowReadings(fake.client, () => undefined) as never, now);
      // Each batch's readings searches, in the order they were sent, named by the batch's first patient.
      const checked = fake.log
        .slice(before)
        .filter((l) => l.startsWith('search pages Observation'))
        .map((l) => new URLSearchParams(l.slice(l.indexOf('?') + 1)).get('subject')?.split(',')[0]);
      expect([...new Set(checked)]).toEqual([
        'Patient/n300',
        'Patient/n400',
        'Patient/n000',
        'Patient/n100',
        'Patient/n200',
      ]);
      // Each batch's open alerts were looked up once, before any readings search.
      const requests = fake.log.slice(before);
      const lookUps = requests.filter((l) => l.startsWith('search pages DetectedIssue'));
      expect(lookUps).toHaveLength(5);
      expect(requests.indexOf(lookUps[4])).toBeLessThan(requests.findIndex((l) => l.includes('Observation')));
      // Results stay in batch order: the earlier patients' alerts unchanged, the new patients' created.
      expect(result.alerts.map((a) => a.patient)).toEqual([...result.alerts.map((a) => a.patient)].sort());
      expect(result.alerts.slice(0, 1200).every((a) => a.outcome === 'unchanged')).toBe(true);
      expect(result.alerts.slice(1200).every((a) => a.outcome === 'created')).toBe(true);
      expect(result.alerts).toHaveLength(2000);
      expect(fake.all('DetectedIssue')).toHaveLength(2000);
    });

    test('a failing batch fails the scan, and no batch starts after it', async () => {
      const fake = largeCaseload();
      let searches = 0;
      const scan = scanMissedReadings(
        slowReadings(fake.client, () => searches++, 2) as never,
        new Date('2025-03-10T12:30:00Z')
      );
      await expect(scan).rejects.toThrow('search 2 failed');
      // The batches running when the second one failed finished before the scan failed; no other batch started
      // (a full scan searches readings twice per batch, 16 times).
      const after = searches;
      const alerts = fake.all('DetectedIssue').length;
      await new Promise((r) => setTimeout(r, 100));
      expect(searches).toBe(after);
      expect(fake.all('DetectedIssue')).toHaveLength(alerts);
      expect(searches).toBeLessThanOrEqual(2 * (BATCHES_IN_FLIGHT + 1));
      expect(fake.all('DetectedIssue').length).toBeLessThan(3000);
    });
  });
});

describe('a caseload larger than one run: split into queued runs', () => {
  const NOW = new Date('2025-03-10T12:30:00Z');
  const SCHEDULED = { bot: { reference: 'Bot/rpm-missed-readings' }, input: { resourceType: 'Parameters' } } as const;

  test(`${PATIENTS_PER_RUN} patients are checked by the scheduled run itself`, async () => {
    const fake = caseload(PATIENTS_PER_RUN, everyThirdBpLate);
    const result = await runMissedReadings(fake.client, SCHEDULED, NOW);
    expect(fake.queued).toHaveLength(0);
    expect(result).toMatchObject({ carePlans: PATIENTS_PER_RUN, overdue: Math.ceil(PATIENTS_PER_RUN / 3) });
    // Outlines first (no activities), then the CarePlans in full by id, a hundred per search.
    const carePlanSearches = fake.log.filter((l) => l.includes(' CarePlan?'));
    expect(carePlanSearches[0]).toBe(
      `search pages CarePlan?status=active&_elements=${encodeURIComponent('subject,status,instantiatesCanonical,period')}&_count=${OUTLINE_PAGE_SIZE}&_total=none`
    );
    expect(carePlanSearches.slice(1).every((l) => l.startsWith('search CarePlan?_id='))).toBe(true);
    expect(carePlanSearches).toHaveLength(1 + PATIENTS_PER_RUN / 100);
  });

  test('one patient more: runs of PATIENTS_PER_RUN patients are queued, and together they raise what one scan would', async () => {
    const count = 2 * PATIENTS_PER_RUN + 1;
    const fake = caseload(count, everyThirdBpLate);
    // A patient on the boundary with a second monitoring CarePlan: both go in the same run.
    const boundary = `Patient/p${PATIENTS_PER_RUN - 1}`;
    fake.seed({ ...fake.all<CarePlan>('CarePlan')[0], id: 'second-plan', subject: { reference: boundary } });
    const split = await runMissedReadings(fake.client, SCHEDULED, NOW);
    expect(split).toEqual({
      carePlans: count + 1,
      patients: count,
      queued: [1, 2, 3].map((n) => `https://fake.example/fhir/R4/job/queued-${n}/status`),
    });
    // The scheduled run read the CarePlans' outlines only (one search; pages of 1,000): no readings, no alerts.
    expect(fake.log.filter((l) => !l.startsWith('execute'))).toEqual([
      `search pages CarePlan?status=active&_elements=${encodeURIComponent('subject,status,instantiatesCanonical,period')}&_count=${OUTLINE_PAGE_SIZE}&_total=none`,
    ]);
    expect(fake.queued.every((q) => q.bot === 'rpm-missed-readings')).toBe(true);
    const slices = fake.queued.map((q) => carePlansOfSlice(q.input) as string[]);
    expect(slices.map((ids) => ids.length)).toEqual([PATIENTS_PER_RUN + 1, PATIENTS_PER_RUN, 1]);
    expect(slices[0]).toContain('second-plan');
    expect(slices[0]).toContain(`careplan-p${PATIENTS_PER_RUN - 1}`);
    expect(new Set(slices.flat()).size).toBe(count + 1);

    const alerts: string[] = [];
    for (const { input } of fake.queued) {
      const run = await runMissedReadings(fake.client, { bot: SCHEDULED.bot, input }, NOW);
      expect(run).not.toHaveProperty('queued');
      alerts.push(...(run as MissedReadingsBotResult).alerts.map((a) => `${a.patient} ${a.code} ${a.outcome}`));
    }
    const expected = Array.from({ length: count }, (_, i) => i).filter((i) => i % 3 === 0);
    expect(alerts).toEqual(expected.map((i) => `Patient/p${i} 85354-9 created`));
    expect(fake.queued).toHaveLength(3); // a queued run never queues more
    const whole = await scanMissedReadings(fake.client, NOW);
    expect(whole.alerts.every((a) => a.outcome === 'unchanged')).toBe(true);
    expect(whole.alerts).toHaveLength(expected.length);
    // Run again, the queued runs list no alert (none changed) and count those they found open.
    let unchanged = 0;
    for (const { input } of fake.queued) {
      const run = (await runMissedReadings(fake.client, { bot: SCHEDULED.bot, input }, NOW)) as MissedReadingsReport;
      expect(run.alerts).toEqual([]);
      unchanged += run.unchanged;
    }
    expect(unchanged).toBe(expected.length);
  });

  test('a queued run checks only CarePlans still active, and passes over references that are not CarePlans', async () => {
    const fake = caseload(3, everyThirdBpLate);
    const [first, second] = fake.all<CarePlan>('CarePlan');
    await fake.updateResource({ ...second, status: 'completed' });
    const input: Parameters = {
      resourceType: 'Parameters',
      parameter: [
        { name: 'carePlan', valueReference: { reference: `CarePlan/${first.id}` } },
        { name: 'carePlan', valueReference: { reference: `CarePlan/${second.id}` } },
        { name: 'carePlan', valueReference: { reference: 'Patient/p2' } },
        { name: 'carePlan', valueReference: { reference: 'CarePlan/no such id' } },
      ],
    };
    expect(carePlansOfSlice(input)).toEqual([first.id, second.id]);
    const run = (await runMissedReadings(fake.client, { bot: SCHEDULED.bot, input }, NOW)) as MissedReadingsBotResult;
    expect(run).toMatchObject({ carePlans: 1, overdue: 1 });
    expect(run.alerts).toEqual([{ patient: 'Patient/p0', code: '85354-9', outcome: 'created' }]);
  });

  test('an input without carePlan parameters is a scheduled run, not a slice', () => {
    expect(carePlansOfSlice({ resourceType: 'Parameters', parameter: [{ name: 'scheduled' }] })).toBeUndefined();
    expect(carePlansOfSlice({ resourceType: 'Patient', id: 'p' })).toBeUndefined();
    expect(carePlansOfSlice(sliceInput(['a', 'b']))).toEqual(['a', 'b']);
  });
});
