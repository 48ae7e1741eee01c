// Single-reading thresholds: both sides of every amber and red edge of both programme examples, and the explanations.
import { describe, expect, test } from 'vitest';
import type { Observation, PlanDefinition } from '@medplum/fhirtypes';
import { LOINC_CODES } from '../../fhir/codes.ts';
import { readExample } from '../../testing/examples.ts';
import { bloodPressure, pulse, respiratoryRate, spo2, temperature, vital, weight } from '../../testing/observations.ts';
import { evaluateThreshold } from './evaluateThreshold.ts';
import { resolveThresholds } from './resolveThresholds.ts';

const AT = '2025-03-01T09:00:00Z';
const respiratory = resolveThresholds(readExample<PlanDefinition>('rpm-threshold-programme-respiratory-virtual-ward'));
const heartFailure = resolveThresholds(readExample<PlanDefinition>('rpm-threshold-programme-heart-failure'));

const systolic = (value: number): Observation => bloodPressure(value, 70, AT);

describe('respiratory virtual ward defaults', () => {
  test('the programme examples read without warnings', () => {
    expect(respiratory.warnings).toEqual([]);
    expect(heartFailure.warnings).toEqual([]);
  });

  test.each([
    ['SpO2', spo2, 96, 'none'],
    ['SpO2', spo2, 95, 'none'],
    ['SpO2', spo2, 94, 'amber'],
    ['SpO2', spo2, 93, 'amber'],
    ['SpO2', spo2, 92, 'red'],
    ['respiratory rate', respiratoryRate, 12, 'none'],
    ['respiratory rate', respiratoryRate, 11, 'amber'],
    ['respiratory rate', respiratoryRate, 9, 'amber'],
    ['respiratory rate', respiratoryRate, 8, 'red'],
    ['respiratory rate', respiratoryRate, 20, 'none'],
    ['respiratory rate', respiratoryRate, 21, 'amber'],
    ['respiratory rate', respiratoryRate, 24, 'amber'],
    ['respiratory rate', respiratoryRate, 25, 'red'],
    ['pulse', pulse, 51, 'none'],
    ['pulse', pulse, 50, 'amber'],
    ['pulse', pulse, 41, 'amber'],
    ['pulse', pulse, 40, 'red'],
    ['pulse', pulse, 110, 'none'],
    ['pulse', pulse, 111, 'amber'],
    ['pulse', pulse, 130, 'amber'],
    ['pulse', pulse, 131, 'red'],
    ['temperature', temperature, 36.1, 'none'],
    ['temperature', temperature, 36.0, 'amber'],
    ['temperature', temperature, 35.1, 'amber'],
    ['temperature', temperature, 35.0, 'red'],
    ['temperature', temperature, 38.0, 'none'],
    ['temperature', temperature, 38.1, 'amber'],
    ['temperature', temperature, 39.0, 'amber'],
    ['temperature', temperature, 39.1, 'red'],
    ['systolic BP', systolic, 101, 'none'],
    ['systolic BP', systolic, 100, 'amber'],
    ['systolic BP', systolic, 91, 'amber'],
    ['systolic BP', systolic, 90, 'red'],
    ['systolic BP', systolic, 179, 'none'],
    ['systolic BP', systolic, 180, 'amber'],
    ['systolic BP', systolic, 219, 'amber'],
    ['systolic BP', systolic, 220, 'red'],
  ] as const)('%s %d is %s', (_name, make, value, level) => {
    expect(evaluateThreshold(make(value, AT), respiratory).level).toBe(level);
  });

  test.each([
    [38.04, 'none'],
    [38.05, 'amber'],
    [35.04, 'red'],
    [35.05, 'amber'],
  ] as const)('temperature %d °C is rounded half up to 0.1 °C first: %s', (value, level) => {
    expect(evaluateThreshold(temperature(value, AT), respiratory).level).toBe(level);
  });

  test.each([
    [100.4, 'none'],
    [100.5, 'amber'],
    [102.2, 'amber'],
    [102.4, 'red'],
  ] as const)('temperature %d °F is converted to °C: %s', (value, level) => {
    expect(evaluateThreshold(temperature(value, AT, {}, '[degF]'), respiratory).level).toBe(level);
  });

  test('SpO2 92.5 % is read as 93 % (amber), 92.4 % as 92 % (red)', () => {
    expect(evaluateThreshold(spo2(92.5, AT), respiratory).level).toBe('amber');
    expect(evaluateThreshold(spo2(92.4, AT), respiratory).level).toBe('red');
  });
});

describe('heart failure defaults', () => {
  test.each([
    [94, 'none'],
    [93, 'amber'],
    [92, 'amber'],
    [91, 'red'],
  ] as const)('SpO2 %d %% is %s', (value, level) => {
    expect(evaluateThreshold(spo2(value, AT), heartFailure).level).toBe(level);
  });

  test('a single weight has no threshold (the weight-gain trend rule applies instead)', () => {
    expect(evaluateThreshold(weight(140, AT), heartFailure)).toEqual({ level: 'none', findings: [] });
  });

  test('respiratory rate is not a heart-failure default', () => {
    expect(evaluateThreshold(respiratoryRate(30, AT), heartFailure).findings).toEqual([]);
  });
});

describe('explanations', () => {
  test('a red breach names the value, the side, the limit and the programme', () => {
    const result = evaluateThreshold(spo2(89, AT), respiratory);
    expect(result.findings).toHaveLength(1);
    expect(result.findings[0]).toMatchObject({ level: 'red', band: 'red', side: 'low' });
    expect(result.findings[0].explanation).toBe(
      'SpO2 89 % is below the red limit of 93 % (programme: COVID-19 / acute respiratory infection virtual ward)'
    );
    expect(result.findings[0].limit?.source).toMatchObject({
      kind: 'programme',
      reference: 'http://rpm-platform.org/fhir/PlanDefinition/respiratory-virtual-ward#spo2-red',
    });
  });

  test('an amber high breach, and a reading within limits', () => {
    expect(evaluateThreshold(pulse(115, AT), respiratory).findings[0].explanation).toBe(
      'Pulse 115/min is above the amber limit of 110/min (programme: COVID-19 / acute respiratory infection virtual ward)'
    );
    expect(evaluateThreshold(temperature(38.5, AT), respiratory).findings[0].explanation).toMatch(
      /^Temperature 38\.5 °C is above the amber limit of 38\.0 °C/
    );
    expect(evaluateThreshold(pulse(72, AT), respiratory).findings[0]).toMatchObject({
      level: 'none',
      explanation: 'Pulse 72/min is within limits (programme: COVID-19 / acute respiratory infection virtual ward)',
    });
  });

  test('a BP panel is evaluated per component that has thresholds', () => {
    const result = evaluateThreshold(bloodPressure(85, 50, AT), respiratory);
    expect(result.level).toBe('red');
    expect(result.findings.map((f) => f.reading.kind)).toEqual(['systolic']);
    expect(result.findings[0].explanation).toMatch(
      /^Systolic blood pressure 85 mmHg is below the red limit of 91 mmHg/
    );
  });

  test('an unusable Observation gives no finding', () => {
    expect(evaluateThreshold(spo2(80, AT, { status: 'entered-in-error' }), respiratory).findings).toEqual([]);
    expect(evaluateThreshold(vital(LOINC_CODES.spo2, 80, 'kg', AT), respiratory).findings).toEqual([]);
  });
});
