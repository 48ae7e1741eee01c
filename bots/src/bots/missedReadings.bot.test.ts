// Missed-readings bot against the in-memory fake: overdue scheduled readings raise low alerts, once per patient and vital sign.
import { describe, expect, test } from 'vitest';
import type { CarePlan, DetectedIssue } from '@medplum/fhirtypes';
import { enrol, fakeWithProgrammes } from '../testing/enrolment.ts';
import { bloodPressure, pulse, spo2, weight } from '../testing/observations.ts';
import { CARE_PLAN_PAGE_SIZE, PATIENTS_PER_READINGS_SEARCH, scanMissedReadings } from './missedReadings.bot.ts';

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
    const fake = fakeWithProgrammes();
    const count = CARE_PLAN_PAGE_SIZE + 21;
    for (let i = 0; i < count; i++) {
      const patient = `Patient/p${i}`;
      enrol(fake, patient, 'heart-failure');
      // Every patient's weight, pulse and SpO2 are on time; the blood pressure of every third patient is not, and the
      // last one of those had a reading long ago (found by the single look-up, outside the recent window).
      fake.seed(
        weight(80, '2025-03-10T08:50:00Z', { patient }),
        pulse(70, '2025-03-10T09:10:00Z', { patient }),
        spo2(97, '2025-03-10T09:05:00Z', { patient }),
        i % 3 === 0 && i > 0
          ? bloodPressure(120, 80, '2025-02-01T09:00:00Z', { patient })
          : bloodPressure(120, 80, i % 3 === 0 ? '2025-01-01T09:00:00Z' : '2025-03-10T09:00:00Z', { patient })
      );
    }
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
    expect(searches.filter((l) => l.startsWith('search pages Observation'))).toHaveLength(batches);
    // One single look-up per overdue blood pressure (its recent window was empty), plus the alerts' own searches.
    expect(searches.filter((l) => l.startsWith('search Observation'))).toHaveLength(overdue.length);
  });
});
