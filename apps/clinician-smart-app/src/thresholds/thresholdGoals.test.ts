// Threshold overrides as Goals: validation in words, the Goal the bots read back, the transaction, the history wording.
import type { CarePlan, Goal, PlanDefinition } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import { evaluateThreshold } from '../../../../bots/src/rules/thresholds/evaluateThreshold.ts';
import { readExample } from '../../../../bots/src/testing/examples.ts';
import { pulse } from '../../../../bots/src/testing/observations.ts';
import { effectiveThresholds } from './thresholdBands.ts';
import {
  activeOverride,
  describeGoalVersion,
  overrideGoal,
  retiredGoal,
  saveOverrideBundle,
  validateLimits,
} from './thresholdGoals.ts';

const programme = () => readExample<PlanDefinition>('rpm-threshold-programme-respiratory-virtual-ward');
const defaults = () => effectiveThresholds(programme(), []);
const clinician = { reference: 'Practitioner/d', display: 'Sam Bennett' };

describe('validateLimits', () => {
  test('numbers within the measure, low below high, at least one side', () => {
    expect(validateLimits({ low: '45', high: '' }, 'heartRate', 'amber', defaults())).toEqual({
      limits: { low: 45, high: undefined },
      errors: {},
    });
    expect(validateLimits({ low: '37,5', high: '' }, 'bodyTemperature', 'amber', defaults()).limits?.low).toBe(37.5);
    expect(validateLimits({ low: 'abc', high: '' }, 'heartRate', 'amber', defaults()).errors.low).toMatch(
      /^Enter a number in beats\/min/
    );
    expect(validateLimits({ low: '', high: '400' }, 'heartRate', 'amber', defaults()).errors.high).toBe(
      'Enter a value between 20 and 250 beats/min.'
    );
    expect(validateLimits({ low: '', high: '' }, 'heartRate', 'amber', defaults()).errors.form).toMatch(/low limit/);
    expect(validateLimits({ low: '90', high: '80' }, 'heartRate', 'amber', defaults()).errors.high).toBe(
      'The high limit must be above the low limit (90).'
    );
  });

  test('an amber limit outside its red limit (it would never alert) is refused, and the reverse', () => {
    expect(validateLimits({ low: '38', high: '' }, 'heartRate', 'amber', defaults()).errors.low).toBe(
      'An amber low limit must not be below the red low limit (41 beats/min).'
    );
    expect(validateLimits({ low: '', high: '100' }, 'heartRate', 'red', defaults()).errors.high).toBe(
      'A red high limit must not be below the amber high limit (110 beats/min).'
    );
  });
});

describe('overrideGoal', () => {
  test('a valid rpm-threshold-goal that the bots apply exactly', () => {
    const goal = {
      ...overrideGoal({
        patientId: 'p1',
        kind: 'heartRate',
        band: 'amber',
        limits: { low: 45 },
        expressedBy: clinician,
        today: '2026-03-12',
      }),
      id: 'g1',
    };
    expect(goal).toMatchObject({
      meta: { profile: ['http://rpm-platform.org/fhir/StructureDefinition/rpm-threshold-goal'] },
      lifecycleStatus: 'active',
      subject: { reference: 'Patient/p1' },
      expressedBy: clinician,
      target: [{ detailRange: { low: { value: 45, code: '/min', system: 'http://unitsofmeasure.org' } } }],
    });
    const thresholds = effectiveThresholds(programme(), [goal]);
    expect(thresholds.warnings).toEqual([]);
    expect(evaluateThreshold(pulse(45, '2026-03-12T09:00:00Z'), thresholds).level).toBe('none');
    expect(evaluateThreshold(pulse(44, '2026-03-12T09:00:00Z'), thresholds).level).toBe('amber');
    expect(activeOverride([goal], 'heartRate', 'amber')).toBe(goal);
    expect(activeOverride([retiredGoal(goal, clinician, '2026-03-13')], 'heartRate', 'amber')).toBeUndefined();
    expect(describeGoalVersion(goal)).toBe('Amber pulse: alerts below 45 beats/min — in force');
    expect(describeGoalVersion(retiredGoal(goal, clinician, '2026-03-13'))).toMatch(/withdrawn \(cancelled\)$/);
  });
});

describe('saveOverrideBundle', () => {
  const carePlan: CarePlan = {
    resourceType: 'CarePlan',
    id: 'cp',
    meta: { versionId: '3' },
    status: 'active',
    intent: 'plan',
    subject: { reference: 'Patient/p1' },
  };

  test('a new Goal is created and listed in the CarePlan, in one transaction with If-Match', () => {
    const goal = overrideGoal({
      patientId: 'p1',
      kind: 'spo2',
      band: 'red',
      limits: { low: 85 },
      expressedBy: clinician,
      today: '2026-03-12',
    });
    const bundle = saveOverrideBundle(goal, carePlan);
    expect(bundle.type).toBe('transaction');
    const [create, update] = bundle.entry ?? [];
    expect(create.request).toEqual({ method: 'POST', url: 'Goal' });
    expect(create.fullUrl).toMatch(/^urn:uuid:/);
    expect(update.request).toEqual({ method: 'PUT', url: 'CarePlan/cp', ifMatch: 'W/"3"' });
    expect((update.resource as CarePlan).goal).toEqual([{ reference: create.fullUrl }]);
  });

  test('an existing Goal already listed: only the Goal is updated', () => {
    const goal: Goal = {
      ...retiredGoal({ resourceType: 'Goal', id: 'g1', meta: { versionId: '2' } } as Goal, clinician, 'x'),
    };
    const bundle = saveOverrideBundle(goal, { ...carePlan, goal: [{ reference: 'Goal/g1' }] });
    expect(bundle.entry).toHaveLength(1);
    expect(bundle.entry?.[0].request).toEqual({ method: 'PUT', url: 'Goal/g1', ifMatch: 'W/"2"' });
  });
});
