// NEWS2 bot against the in-memory fake: scoring from stored readings, one NEWS2 Observation per input set, band alerts.
import { describe, expect, test } from 'vitest';
import type { DetectedIssue, Observation } from '@medplum/fhirtypes';
import { NEWS2_SNOMED } from '../fhir/codes.ts';
import { enrol, fakeWithProgrammes } from '../testing/enrolment.ts';
import type { FakeMedplum } from '../testing/fakeMedplum.ts';
import {
  acvpu,
  bloodPressure,
  oxygenFlow,
  pulse,
  respiratoryRate,
  spo2,
  temperature,
} from '../testing/observations.ts';
import { computeNews2 } from './news2.bot.ts';

const NOW = new Date('2025-03-10T09:10:00Z');
const HF = 'Patient/hf';
const RESP = 'Patient/resp';

function seedSet(fake: FakeMedplum, patient: string, changes: { rr?: number; spo2?: number; o2?: number } = {}) {
  const options = (id: string) => ({ id: `${id}-${patient.slice(8)}`, patient });
  fake.seed(
    respiratoryRate(changes.rr ?? 18, '2025-03-10T09:00:00Z', options('rr')),
    spo2(changes.spo2 ?? 96, '2025-03-10T09:01:00Z', options('spo2')),
    oxygenFlow(changes.o2 ?? 0, '2025-03-10T09:01:00Z', options('o2')),
    bloodPressure(124, 80, '2025-03-10T09:02:00Z', options('bp')),
    pulse(80, '2025-03-10T09:03:00Z', options('pulse')),
    acvpu('A', '2025-03-10T09:04:00Z', options('acvpu')),
    temperature(37.1, '2025-03-10T09:05:00Z', options('temp'))
  );
  return fake.all<Observation>('Observation').find((o) => o.id === `temp-${patient.slice(8)}`) as Observation;
}

function news2Observations(fake: FakeMedplum): Observation[] {
  return fake.all<Observation>('Observation').filter((o) => o.code.coding?.[0].code === NEWS2_SNOMED.total);
}

describe('NEWS2 bot', () => {
  test('a complete low-risk set: one NEWS2 Observation, no alert', async () => {
    const fake = fakeWithProgrammes();
    enrol(fake, HF, 'heart-failure');
    const trigger = seedSet(fake, HF);
    const result = await computeNews2(fake.client, trigger, NOW);
    expect(result).toMatchObject({ status: 'scored', total: 0, risk: 'low' });
    expect(result).not.toHaveProperty('alert');
    const [news2] = news2Observations(fake);
    expect(news2).toMatchObject({
      valueInteger: 0,
      subject: { reference: HF },
      effectiveDateTime: '2025-03-10T09:05:00Z',
    });
    expect(news2.derivedFrom).toHaveLength(7);
    expect(fake.all('DetectedIssue')).toEqual([]);
  });

  test('a set scoring 3 in one parameter: a moderate alert; reprocessing creates neither a second NEWS2 nor a second alert', async () => {
    const fake = fakeWithProgrammes();
    enrol(fake, HF, 'heart-failure');
    const trigger = seedSet(fake, HF, { rr: 26 });
    const first = await computeNews2(fake.client, trigger, NOW);
    expect(first).toMatchObject({ status: 'scored', total: 3, risk: 'low-medium', alert: 'created' });
    const second = await computeNews2(fake.client, trigger, NOW);
    expect(second).toMatchObject({ status: 'scored', total: 3, alert: 'unchanged' });
    expect(news2Observations(fake)).toHaveLength(1);
    const alerts = fake.all<DetectedIssue>('DetectedIssue');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      severity: 'moderate',
      identifier: [{ value: 'news2:Patient/hf' }],
      implicated: [{ reference: `Observation/${news2Observations(fake)[0].id}` }],
    });
    expect(alerts[0].detail).toMatch(/^NEWS2 3: Low–medium clinical risk \(a score of 3 in a single parameter\)/);
  });

  test('a medium total (5) is a high-severity alert', async () => {
    const fake = fakeWithProgrammes();
    enrol(fake, HF, 'heart-failure');
    const trigger = seedSet(fake, HF, { rr: 22, spo2: 93 });
    const result = await computeNews2(fake.client, trigger, NOW);
    expect(result).toMatchObject({ total: 4, risk: 'low' });
    const withOxygen = fakeWithProgrammes();
    enrol(withOxygen, HF, 'heart-failure');
    const t2 = seedSet(withOxygen, HF, { rr: 22, spo2: 93, o2: 2 });
    expect(await computeNews2(withOxygen.client, t2, NOW)).toMatchObject({
      total: 6,
      risk: 'medium',
      alert: 'created',
    });
    expect(withOxygen.all<DetectedIssue>('DetectedIssue')[0].severity).toBe('high');
  });

  test('the patient’s SpO2 scale comes from the CarePlan (respiratory example: scale 2)', async () => {
    const fake = fakeWithProgrammes();
    enrol(fake, RESP, 'respiratory-virtual-ward');
    const trigger = seedSet(fake, RESP, { spo2: 89 });
    expect(await computeNews2(fake.client, trigger, NOW)).toMatchObject({ total: 0 });
    const scale1 = fakeWithProgrammes();
    enrol(scale1, HF, 'heart-failure');
    expect(await computeNews2(scale1.client, seedSet(scale1, HF, { spo2: 89 }), NOW)).toMatchObject({ total: 3 });
  });

  test('an incomplete set writes nothing and says what is missing', async () => {
    const fake = fakeWithProgrammes();
    enrol(fake, HF, 'heart-failure');
    fake.seed(pulse(80, '2025-03-10T09:03:00Z', { id: 'p', patient: HF }));
    const trigger = fake.all<Observation>('Observation')[0];
    expect(await computeNews2(fake.client, trigger, NOW)).toEqual({
      status: 'incomplete',
      missing: ['respirationRate', 'spo2', 'airOrOxygen', 'systolicBp', 'consciousness', 'temperature'],
    });
    expect(news2Observations(fake)).toEqual([]);
  });

  test('a NEWS2 Observation, a weight or a reading without a patient is skipped', async () => {
    const fake = fakeWithProgrammes();
    enrol(fake, HF, 'heart-failure');
    await computeNews2(fake.client, seedSet(fake, HF, { rr: 26 }), NOW);
    const [news2] = news2Observations(fake);
    expect(await computeNews2(fake.client, news2, NOW)).toMatchObject({ status: 'skipped' });
    const noPatient = { ...pulse(80, '2025-03-10T09:03:00Z'), subject: undefined };
    expect(await computeNews2(fake.client, noPatient, NOW)).toMatchObject({ status: 'skipped' });
  });

  test('a patient without a monitoring CarePlan is scored on SpO2 scale 1, without a programme', async () => {
    const fake = fakeWithProgrammes();
    const trigger = seedSet(fake, 'Patient/walkin', { rr: 26 });
    expect(await computeNews2(fake.client, trigger, NOW)).toMatchObject({
      status: 'scored',
      total: 3,
      alert: 'created',
    });
  });
});
