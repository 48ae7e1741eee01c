// Resolving thresholds: programme goals, per-patient Goal overrides (per side, active only, latest wins) and warnings.
import { describe, expect, test } from 'vitest';
import type { Goal, PlanDefinition } from '@medplum/fhirtypes';
import { CODE_SYSTEMS, LOINC, LOINC_CODES, UCUM } from '../../fhir/codes.ts';
import { readExample } from '../../testing/examples.ts';
import { pulse, spo2, temperature } from '../../testing/observations.ts';
import { evaluateThreshold } from './evaluateThreshold.ts';
import { readProgrammeThresholds } from './readProgrammeThresholds.ts';
import { resolveThresholds } from './resolveThresholds.ts';

const AT = '2025-03-01T09:00:00Z';
const programme = (): PlanDefinition => readExample<PlanDefinition>('rpm-threshold-programme-respiratory-virtual-ward');

function override(
  id: string,
  band: 'amber' | 'red',
  loinc: string,
  range: { low?: number; high?: number },
  unit: string,
  changes: Partial<Goal> = {}
): Goal {
  const quantity = (value: number) => ({ value, system: UCUM, code: unit });
  return {
    resourceType: 'Goal',
    id,
    lifecycleStatus: 'active',
    category: [{ coding: [{ system: CODE_SYSTEMS.thresholdBand, code: band }] }],
    description: { text: `${band} override` },
    subject: { reference: 'Patient/patient-1' },
    target: [
      {
        measure: { coding: [{ system: LOINC, code: loinc }] },
        detailRange: {
          ...(range.low !== undefined ? { low: quantity(range.low) } : {}),
          ...(range.high !== undefined ? { high: quantity(range.high) } : {}),
        },
      },
    ],
    ...changes,
  };
}

describe('readProgrammeThresholds', () => {
  test('reads each goal as one band of limits, with its source', () => {
    const read = readProgrammeThresholds(programme());
    expect(read.url).toBe('http://rpm-platform.org/fhir/PlanDefinition/respiratory-virtual-ward');
    expect(read.thresholds.heartRate).toMatchObject({
      amber: { low: { value: 51 }, high: { value: 110 } },
      red: { low: { value: 41 }, high: { value: 130 } },
    });
    expect(read.thresholds.spo2?.red.low?.source.citation).toMatch(/^NHS England/);
    expect(read.thresholds.spo2?.amber.high).toBeUndefined();
  });

  test('warns about goals it cannot use, and about a second limit for the same band and side', () => {
    const plan = programme();
    plan.goal = [
      ...(plan.goal ?? []),
      { ...plan.goal![0], id: 'dup' },
      { id: 'no-band', description: { text: 'x' }, target: plan.goal![0].target },
      {
        id: 'bad-unit',
        description: { text: 'x' },
        category: plan.goal![0].category,
        target: [
          { measure: plan.goal![0].target![0].measure, detailRange: { low: { value: 9, code: 'kg', system: UCUM } } },
        ],
      },
    ];
    const read = readProgrammeThresholds(plan);
    expect(read.warnings).toEqual([
      expect.stringMatching(/goal dup: a second amber low limit for spo2/),
      expect.stringMatching(/goal no-band: no threshold band/),
      expect.stringMatching(/goal bad-unit: its low limit 9 kg is not in a unit of %/),
      expect.stringMatching(/goal bad-unit: a SpO2 target without a usable low or high limit/),
    ]);
  });

  test('a programme needs a url', () => {
    expect(() => readProgrammeThresholds({ ...programme(), url: undefined })).toThrow(/canonical url/);
  });
});

describe('resolveThresholds with overrides', () => {
  test('the example overrides (a patient with a prescribed 88–92 % target) move the SpO2 limits', () => {
    const goals = [
      readExample<Goal>('rpm-threshold-goal-spo2-amber'),
      readExample<Goal>('rpm-threshold-goal-spo2-red'),
    ];
    const resolved = resolveThresholds(programme(), goals);
    expect(resolved.warnings).toEqual([]);
    expect(evaluateThreshold(spo2(88, AT), resolved).level).toBe('none');
    expect(evaluateThreshold(spo2(87, AT), resolved).level).toBe('amber');
    expect(evaluateThreshold(spo2(85, AT), resolved).level).toBe('amber');
    expect(evaluateThreshold(spo2(84, AT), resolved).level).toBe('red');
    expect(evaluateThreshold(spo2(84, AT), resolved).findings[0].explanation).toBe(
      'SpO2 84 % is below the red limit of 85 % (patient-specific limit, Goal/rpm-threshold-goal-spo2-red-example; ' +
        'programme: COVID-19 / acute respiratory infection virtual ward)'
    );
  });

  test('an override of one side keeps the programme limit on the other side', () => {
    const resolved = resolveThresholds(programme(), [
      override('g1', 'amber', LOINC_CODES.heartRate, { low: 45 }, '/min'),
    ]);
    expect(resolved.thresholds.heartRate?.amber).toMatchObject({
      low: { value: 45, source: { kind: 'patient', reference: 'Goal/g1' } },
      high: { value: 110, source: { kind: 'programme' } },
    });
    expect(evaluateThreshold(pulse(46, AT), resolved).level).toBe('none');
    expect(evaluateThreshold(pulse(44, AT), resolved).level).toBe('amber');
    expect(evaluateThreshold(pulse(111, AT), resolved).level).toBe('amber');
  });

  test('a Goal that is not active is ignored', () => {
    for (const lifecycleStatus of ['proposed', 'cancelled', 'completed', 'entered-in-error'] as const) {
      const resolved = resolveThresholds(programme(), [
        override('g1', 'amber', LOINC_CODES.heartRate, { low: 45 }, '/min', { lifecycleStatus }),
      ]);
      expect(resolved.thresholds.heartRate?.amber.low?.value).toBe(51);
    }
  });

  test('of two active Goals for the same limit the most recently changed wins, with a warning', () => {
    const older = override('old', 'amber', LOINC_CODES.heartRate, { low: 45 }, '/min', {
      meta: { lastUpdated: '2025-03-01T10:00:00Z' },
    });
    const newer = override('new', 'amber', LOINC_CODES.heartRate, { low: 47 }, '/min', {
      meta: { lastUpdated: '2025-03-02T10:00:00Z' },
    });
    for (const order of [
      [older, newer],
      [newer, older],
    ]) {
      const resolved = resolveThresholds(programme(), order);
      expect(resolved.thresholds.heartRate?.amber.low?.value).toBe(47);
      expect(resolved.warnings).toEqual(['Goal/new replaces Goal/old for the amber low limit of heartRate']);
    }
  });

  test('limits in another unit are converted (°F), and a limit in a unit that does not fit is ignored', () => {
    const resolved = resolveThresholds(programme(), [
      override('f', 'amber', LOINC_CODES.bodyTemperature, { high: 100.4 }, '[degF]'),
      override('bad', 'red', LOINC_CODES.heartRate, { high: 2 }, 'Hz'),
    ]);
    expect(resolved.thresholds.bodyTemperature?.amber.high?.value).toBe(38.0);
    expect(resolved.thresholds.heartRate?.red.high?.value).toBe(130);
    expect(resolved.warnings).toEqual([
      'Goal/bad: its high limit 2 Hz is not in a unit of /min; that limit is ignored',
      'Goal/bad: a Pulse target without a usable low or high limit; ignored',
    ]);
    expect(evaluateThreshold(temperature(38.1, AT), resolved).level).toBe('amber');
  });

  test('an override may add a measure the programme has no limits for', () => {
    const resolved = resolveThresholds(readExample<PlanDefinition>('rpm-threshold-programme-heart-failure'), [
      override('w', 'red', LOINC_CODES.bodyWeight, { high: 120 }, 'kg'),
    ]);
    expect(resolved.thresholds.bodyWeight?.red.high?.value).toBe(120);
  });

  test('warns when an amber limit lies outside its red limit', () => {
    const resolved = resolveThresholds(programme(), [
      override('a', 'amber', LOINC_CODES.spo2, { low: 90 }, '%'),
      override('b', 'amber', LOINC_CODES.heartRate, { high: 140 }, '/min'),
    ]);
    expect(resolved.warnings).toEqual([
      'SpO2: the amber low limit 90 is below the red low limit 93',
      'Pulse: the amber high limit 140 is above the red high limit 130',
    ]);
    expect(evaluateThreshold(spo2(91, AT), resolved).level).toBe('red');
  });

  test('a programme already read can be given instead of the PlanDefinition', () => {
    const read = readProgrammeThresholds(programme());
    expect(resolveThresholds(read).thresholds).toEqual(resolveThresholds(programme()).thresholds);
  });
});
