// Weight trend bot against the in-memory fake: an amber alert for > 2 kg in 72 h, once; only for daily-weight plans.
import { describe, expect, test } from 'vitest';
import type { DetectedIssue, Observation } from '@medplum/fhirtypes';
import { enrol, fakeWithProgrammes } from '../testing/enrolment.ts';
import { pulse, weight } from '../testing/observations.ts';
import { checkWeightTrend } from './weightTrend.bot.ts';

const NOW = new Date('2025-03-04T09:05:00Z');
const HF = 'Patient/hf';

function setUp() {
  const fake = fakeWithProgrammes();
  enrol(fake, HF, 'heart-failure');
  enrol(fake, 'Patient/resp', 'respiratory-virtual-ward');
  fake.seed(
    weight(80, '2025-03-01T09:00:00Z', { id: 'w1', patient: HF }),
    weight(80.6, '2025-03-02T09:00:00Z', { id: 'w2', patient: HF }),
    weight(81.4, '2025-03-03T09:00:00Z', { id: 'w3', patient: HF })
  );
  return fake;
}

describe('weight trend bot', () => {
  test('a gain of more than 2 kg in 72 h raises one moderate alert, implicating the newest and the lowest weight', async () => {
    const fake = setUp();
    fake.seed(weight(82.2, '2025-03-04T09:00:00Z', { id: 'w4', patient: HF }));
    const newest = fake.all<Observation>('Observation').find((o) => o.id === 'w4') as Observation;
    expect(await checkWeightTrend(fake.client, newest, NOW)).toEqual({
      status: 'evaluated',
      alert: true,
      gainKg: 2.2,
      outcome: 'created',
    });
    const [alert] = fake.all<DetectedIssue>('DetectedIssue');
    expect(alert).toMatchObject({
      severity: 'moderate',
      identifier: [{ value: 'weight-gain:Patient/hf' }],
      implicated: [{ reference: 'Observation/w4' }, { reference: 'Observation/w1' }],
    });
    expect(await checkWeightTrend(fake.client, newest, NOW)).toMatchObject({ outcome: 'unchanged' });
    expect(fake.all('DetectedIssue')).toHaveLength(1);
  });

  test('2 kg exactly does not alert', async () => {
    const fake = setUp();
    fake.seed(weight(82, '2025-03-04T09:00:00Z', { id: 'w4', patient: HF }));
    const newest = fake.all<Observation>('Observation').find((o) => o.id === 'w4') as Observation;
    expect(await checkWeightTrend(fake.client, newest, NOW)).toEqual({ status: 'evaluated', alert: false, gainKg: 2 });
  });

  test('skipped for a patient whose plan has no daily weight, and for other vital signs', async () => {
    const fake = setUp();
    const resp = weight(90, '2025-03-04T09:00:00Z', { id: 'r', patient: 'Patient/resp' });
    expect(await checkWeightTrend(fake.client, resp, NOW)).toMatchObject({ status: 'skipped' });
    expect(await checkWeightTrend(fake.client, pulse(70, '2025-03-04T09:00:00Z', { patient: HF }), NOW)).toMatchObject({
      status: 'skipped',
    });
  });
});
