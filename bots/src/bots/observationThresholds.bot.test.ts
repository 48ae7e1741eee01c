// Thresholds bot against the in-memory fake: alerts per vital sign, idempotence, merging, the combined rule, skips.
import { describe, expect, test } from 'vitest';
import type { BotEvent } from '@medplum/core';
import type { DetectedIssue, Observation } from '@medplum/fhirtypes';
import { enrol, fakeWithProgrammes } from '../testing/enrolment.ts';
import { bloodPressure, pulse, respiratoryRate, spo2 } from '../testing/observations.ts';
import { evaluateObservationThresholds, handler } from './observationThresholds.bot.ts';

const NOW = new Date('2025-03-10T09:31:00Z');
const HF = 'Patient/hf';
const RESP = 'Patient/resp';

function setUp() {
  const fake = fakeWithProgrammes();
  enrol(fake, HF, 'heart-failure');
  enrol(fake, RESP, 'respiratory-virtual-ward');
  return fake;
}

/** Stores the reading as the server would have before the bot runs, and returns it with its id. */
function saved(fake: ReturnType<typeof setUp>, observation: Observation): Observation {
  fake.seed(observation);
  return fake.all<Observation>('Observation').find((o) => o.id === observation.id) as Observation;
}

describe('observation thresholds bot', () => {
  test('a red reading raises one high alert for the patient and vital sign', async () => {
    const fake = setUp();
    const reading = saved(fake, spo2(90, '2025-03-10T09:30:00Z', { id: 'o1', patient: HF }));
    const result = await evaluateObservationThresholds(fake.client, reading, NOW);
    expect(result).toEqual({
      status: 'evaluated',
      level: 'red',
      alerts: [{ rule: 'vital-sign-threshold.2708-6', outcome: 'created' }],
    });
    const [alert] = fake.all<DetectedIssue>('DetectedIssue');
    expect(alert).toMatchObject({
      status: 'preliminary',
      severity: 'high',
      patient: { reference: HF },
      identifier: [{ value: 'vital-sign-threshold.2708-6:Patient/hf' }],
      implicated: [{ reference: 'Observation/o1' }],
      detail: 'SpO2 90 % is below the red limit of 92 % (programme: Heart failure remote monitoring)',
    });
  });

  test('the same Observation processed twice leaves one alert, unchanged', async () => {
    const fake = setUp();
    const reading = saved(fake, spo2(93, '2025-03-10T09:30:00Z', { id: 'o1', patient: HF }));
    await evaluateObservationThresholds(fake.client, reading, NOW);
    const again = await evaluateObservationThresholds(fake.client, reading, NOW);
    expect(again).toMatchObject({ alerts: [{ outcome: 'unchanged' }] });
    const alerts = fake.all<DetectedIssue>('DetectedIssue');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ severity: 'moderate', meta: { versionId: '1' } });
  });

  test('a second breach merges into the open alert and raises its severity', async () => {
    const fake = setUp();
    await evaluateObservationThresholds(
      fake.client,
      saved(fake, spo2(93, '2025-03-10T09:00:00Z', { id: 'a', patient: HF })),
      NOW
    );
    await evaluateObservationThresholds(
      fake.client,
      saved(fake, spo2(90, '2025-03-10T09:30:00Z', { id: 'b', patient: HF })),
      NOW
    );
    const alerts = fake.all<DetectedIssue>('DetectedIssue');
    expect(alerts).toHaveLength(1);
    expect(alerts[0].severity).toBe('high');
    expect(alerts[0].implicated?.map((r) => r.reference)).toEqual(['Observation/a', 'Observation/b']);
  });

  test('patient-specific limits apply (respiratory example: SpO2 amber below 88 %)', async () => {
    const fake = setUp();
    const fine = await evaluateObservationThresholds(
      fake.client,
      saved(fake, spo2(89, '2025-03-10T09:30:00Z', { id: 'a', patient: RESP })),
      NOW
    );
    expect(fine).toMatchObject({ level: 'none', alerts: [] });
    const amber = await evaluateObservationThresholds(
      fake.client,
      saved(fake, spo2(87, '2025-03-10T09:30:00Z', { id: 'b', patient: RESP })),
      NOW
    );
    expect(amber).toMatchObject({ level: 'amber' });
    expect(fake.all<DetectedIssue>('DetectedIssue')[0].detail).toMatch(
      /patient-specific limit, Goal\/rpm-threshold-goal-spo2-amber-example-resp/
    );
  });

  test('a BP panel alerts on its systolic component', async () => {
    const fake = setUp();
    const result = await evaluateObservationThresholds(
      fake.client,
      saved(fake, bloodPressure(88, 50, '2025-03-10T09:30:00Z', { id: 'bp', patient: HF })),
      NOW
    );
    expect(result).toMatchObject({ level: 'red', alerts: [{ rule: 'vital-sign-threshold.8480-6' }] });
  });

  test('SpO2 amber and respiratory rate amber within an hour also raise the combined red alert', async () => {
    const fake = setUp();
    const rr = saved(fake, respiratoryRate(22, '2025-03-10T09:00:00Z', { id: 'rr', patient: RESP }));
    const rrResult = await evaluateObservationThresholds(fake.client, rr, NOW);
    expect(rrResult).toMatchObject({ level: 'amber', alerts: [{ rule: 'vital-sign-threshold.9279-1' }] });
    const low = saved(fake, spo2(87, '2025-03-10T09:30:00Z', { id: 'sp', patient: RESP }));
    const result = await evaluateObservationThresholds(fake.client, low, NOW);
    expect(result).toMatchObject({
      level: 'amber',
      alerts: [
        { rule: 'vital-sign-threshold.2708-6', outcome: 'created' },
        { rule: 'combined-spo2-respiratory-rate', outcome: 'created' },
      ],
    });
    const combined = fake
      .all<DetectedIssue>('DetectedIssue')
      .find((a) => a.code?.coding?.[0].code === 'combined-spo2-respiratory-rate');
    expect(combined).toMatchObject({
      severity: 'high',
      implicated: [{ reference: 'Observation/sp' }, { reference: 'Observation/rr' }],
    });
    // Re-processing the respiratory rate finds the same pair: nothing new.
    const again = await evaluateObservationThresholds(fake.client, rr, NOW);
    expect(again).toMatchObject({
      alerts: [{ outcome: 'unchanged' }, { rule: 'combined-spo2-respiratory-rate', outcome: 'unchanged' }],
    });
  });

  test('readings within limits, patients not enrolled and Observations without a patient are skipped or quiet', async () => {
    const fake = setUp();
    expect(
      await evaluateObservationThresholds(
        fake.client,
        saved(fake, pulse(72, '2025-03-10T09:30:00Z', { id: 'p', patient: HF })),
        NOW
      )
    ).toEqual({
      status: 'evaluated',
      level: 'none',
      alerts: [],
    });
    expect(
      await evaluateObservationThresholds(
        fake.client,
        saved(fake, pulse(150, '2025-03-10T09:30:00Z', { id: 'q', patient: 'Patient/nobody' })),
        NOW
      )
    ).toMatchObject({ status: 'skipped' });
    const group = { ...pulse(150, '2025-03-10T09:30:00Z', { id: 'g' }), subject: { reference: 'Group/1' } };
    expect(await evaluateObservationThresholds(fake.client, group, NOW)).toMatchObject({ status: 'skipped' });
    expect(fake.all('DetectedIssue')).toEqual([]);
  });

  test('the Medplum-signature handler takes the Observation from event.input', async () => {
    const fake = setUp();
    const reading = saved(fake, spo2(90, '2025-03-10T09:30:00Z', { id: 'o1', patient: HF }));
    const event = {
      input: reading,
      contentType: 'application/fhir+json',
      secrets: {},
      bot: { reference: 'Bot/1' },
    } as BotEvent<Observation>;
    expect(await handler(fake.client, event)).toMatchObject({ status: 'evaluated', level: 'red' });
  });
});
