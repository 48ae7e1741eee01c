// The combined SpO2 + respiratory-rate rule: both amber within 1 h → red; the window edges; never lowers a severity.
import { describe, expect, test } from 'vitest';
import type { PlanDefinition } from '@medplum/fhirtypes';
import { readExample } from '../../testing/examples.ts';
import { respiratoryRate, spo2 } from '../../testing/observations.ts';
import { evaluateThreshold } from '../thresholds/evaluateThreshold.ts';
import { resolveThresholds } from '../thresholds/resolveThresholds.ts';
import { applyCombinedRule, combineSpo2AndRespiratoryRate } from './combineSpo2AndRespiratoryRate.ts';

const thresholds = resolveThresholds(readExample<PlanDefinition>('rpm-threshold-programme-respiratory-virtual-ward'));
const findings = (...observations: ReturnType<typeof spo2>[]) =>
  observations.flatMap((o) => evaluateThreshold(o, thresholds).findings);

describe('combineSpo2AndRespiratoryRate', () => {
  test('SpO2 amber and respiratory rate amber 30 min apart → red', () => {
    const result = combineSpo2AndRespiratoryRate(
      findings(spo2(94, '2025-03-01T09:00:00Z'), respiratoryRate(22, '2025-03-01T09:30:00Z'))
    );
    expect(result?.level).toBe('red');
    expect(result?.explanation).toBe(
      'SpO2 94 % (amber) and respiratory rate 22/min (amber) within 30 min of each other: escalated to red ' +
        '(combined rule: both at least amber within 60 min)'
    );
  });

  test('exactly 60 min apart counts; 60 min and 1 s does not', () => {
    const at = spo2(94, '2025-03-01T09:00:00Z');
    expect(combineSpo2AndRespiratoryRate(findings(at, respiratoryRate(22, '2025-03-01T10:00:00Z')))).toBeDefined();
    expect(combineSpo2AndRespiratoryRate(findings(at, respiratoryRate(22, '2025-03-01T10:00:01Z')))).toBeUndefined();
    expect(combineSpo2AndRespiratoryRate(findings(at, respiratoryRate(22, '2025-03-01T07:59:59Z')))).toBeUndefined();
  });

  test('only one of the two abnormal: no combined alert', () => {
    expect(
      combineSpo2AndRespiratoryRate(
        findings(spo2(94, '2025-03-01T09:00:00Z'), respiratoryRate(16, '2025-03-01T09:10:00Z'))
      )
    ).toBeUndefined();
    expect(
      combineSpo2AndRespiratoryRate(
        findings(spo2(97, '2025-03-01T09:00:00Z'), respiratoryRate(26, '2025-03-01T09:10:00Z'))
      )
    ).toBeUndefined();
  });

  test('a low respiratory rate counts as well as a high one', () => {
    const result = combineSpo2AndRespiratoryRate(
      findings(spo2(94, '2025-03-01T09:00:00Z'), respiratoryRate(10, '2025-03-01T09:05:00Z'))
    );
    expect(result?.level).toBe('red');
  });

  test('of several pairs, the most recent is reported', () => {
    const result = combineSpo2AndRespiratoryRate(
      findings(
        spo2(94, '2025-03-01T09:00:00Z', { id: 'old' }),
        respiratoryRate(22, '2025-03-01T09:10:00Z'),
        spo2(93, '2025-03-01T09:50:00Z', { id: 'new' })
      )
    );
    expect(result?.spo2.reading.observation.id).toBe('new');
  });

  test('a custom window', () => {
    const pair = findings(spo2(94, '2025-03-01T09:00:00Z'), respiratoryRate(22, '2025-03-01T09:30:00Z'));
    expect(combineSpo2AndRespiratoryRate(pair, 15)).toBeUndefined();
  });
});

describe('applyCombinedRule never lowers a severity', () => {
  const red = combineSpo2AndRespiratoryRate(
    findings(spo2(94, '2025-03-01T09:00:00Z'), respiratoryRate(22, '2025-03-01T09:30:00Z'))
  );

  test.each([
    ['none', 'red'],
    ['amber', 'red'],
    ['red', 'red'],
  ] as const)('%s with the combined red → %s', (level, expected) => {
    expect(applyCombinedRule(level, red)).toBe(expected);
  });

  test.each(['none', 'amber', 'red'] as const)('%s without a combined result stays %s', (level) => {
    expect(applyCombinedRule(level, undefined)).toBe(level);
  });
});
