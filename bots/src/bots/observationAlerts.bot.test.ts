// The combined observation-alerts bot against the in-memory fake: every rule runs, and they share one context read.
import { describe, expect, test } from 'vitest';
import type { DetectedIssue, Observation } from '@medplum/fhirtypes';
import { enrol, fakeWithProgrammes } from '../testing/enrolment.ts';
import { pulse, spo2 } from '../testing/observations.ts';
import { evaluateObservation } from './observationAlerts.bot.ts';

const NOW = new Date('2025-03-10T09:31:00Z');
const HF = 'Patient/hf';

function setUp() {
  const fake = fakeWithProgrammes();
  enrol(fake, HF, 'heart-failure');
  return fake;
}

function saved(fake: ReturnType<typeof setUp>, observation: Observation): Observation {
  fake.seed(observation);
  return fake.all<Observation>('Observation').find((o) => o.id === observation.id) as Observation;
}

describe('observation alerts bot', () => {
  test('a red SpO2 runs the thresholds, NEWS2 and weight rules and raises one alert', async () => {
    const fake = setUp();
    const reading = saved(fake, spo2(85, '2025-03-10T09:30:00Z', { id: 'o1', patient: HF }));
    const result = await evaluateObservation(fake.client, reading, NOW);
    expect(result.thresholds).toMatchObject({ status: 'evaluated', level: 'red' });
    expect(result.news2.status).toBe('incomplete');
    expect(result.weightTrend.status).toBe('skipped');
    const alerts = fake.all<DetectedIssue>('DetectedIssue');
    expect(alerts).toHaveLength(1);
    expect(alerts[0].severity).toBe('high');
  });

  test('the rules share the monitoring context: the CarePlan is searched once per run', async () => {
    const fake = setUp();
    const reading = saved(fake, pulse(72, '2025-03-10T09:30:00Z', { id: 'o2', patient: HF }));
    await evaluateObservation(fake.client, reading, NOW);
    expect(fake.log.filter((line) => line.startsWith('search CarePlan'))).toHaveLength(1);
    expect(fake.all<DetectedIssue>('DetectedIssue')).toHaveLength(0);
  });

  test('running twice for the same reading raises nothing new', async () => {
    const fake = setUp();
    const reading = saved(fake, spo2(85, '2025-03-10T09:30:00Z', { id: 'o3', patient: HF }));
    await evaluateObservation(fake.client, reading, NOW);
    const second = await evaluateObservation(fake.client, reading, NOW);
    expect(second.thresholds).toMatchObject({ alerts: [{ outcome: 'unchanged' }] });
    expect(fake.all<DetectedIssue>('DetectedIssue')).toHaveLength(1);
  });
});
