// Reading vital signs from Observations: codes, components, units and conversions, resolution, times, unusable readings.
import { describe, expect, test } from 'vitest';
import { LOINC_CODES } from './codes.ts';
import { roundHalfUp } from './rounding.ts';
import { convertQuantity, formatMeasure, observationTime, parseDateTime, readVitalSigns } from './vitalSigns.ts';
import { bloodPressure, quantity, spo2, vital, weight } from '../testing/observations.ts';

describe('roundHalfUp', () => {
  test.each([
    [35.05, 1, 35.1],
    [35.04, 1, 35.0],
    [38.05, 1, 38.1],
    [91.5, 0, 92],
    [91.49, 0, 91],
    [2.0005, 3, 2.001],
    [1.9999999999999858, 3, 2],
  ])('%d to %d decimals is %d', (value, decimals, expected) => {
    expect(roundHalfUp(value, decimals)).toBe(expected);
  });
});

describe('readVitalSigns', () => {
  test('a BP panel gives its systolic and diastolic components', () => {
    const readings = readVitalSigns(bloodPressure(128, 84, '2025-03-01T09:00:00Z'));
    expect(readings.map((r) => [r.kind, r.code, r.value, r.unit])).toEqual([
      ['systolic', '8480-6', 128, 'mm[Hg]'],
      ['diastolic', '8462-4', 84, 'mm[Hg]'],
    ]);
  });

  test('values are converted and rounded to the measure’s resolution; the recorded value is kept', () => {
    const [f] = readVitalSigns(vital(LOINC_CODES.bodyTemperature, 99.5, '[degF]', '2025-03-01T09:00:00Z'));
    expect(f).toMatchObject({
      kind: 'bodyTemperature',
      value: 37.5,
      unit: 'Cel',
      recorded: { value: 99.5, unit: '[degF]' },
    });
    const [lb] = readVitalSigns(weight(176.37, '2025-03-01T09:00:00Z', {}, '[lb_av]'));
    expect(lb.value).toBe(80);
    const [s] = readVitalSigns(spo2(94.5, '2025-03-01T09:00:00Z'));
    expect(s.value).toBe(95);
  });

  test('a unit that does not fit the measure, or a non-UCUM system, gives nothing', () => {
    expect(readVitalSigns(vital(LOINC_CODES.heartRate, 1.2, 'Hz', '2025-03-01T09:00:00Z'))).toEqual([]);
    const notUcum = { ...spo2(95, '2025-03-01T09:00:00Z'), valueQuantity: { ...quantity(95, '%'), system: 'urn:x' } };
    expect(readVitalSigns(notUcum)).toEqual([]);
    expect(
      convertQuantity('spo2', { value: Number.NaN, system: 'http://unitsofmeasure.org', code: '%' })
    ).toBeUndefined();
  });

  test('unknown codes, unusable statuses and missing times give nothing', () => {
    expect(readVitalSigns(vital('12345-6', 1, '/min', '2025-03-01T09:00:00Z'))).toEqual([]);
    expect(readVitalSigns(spo2(95, '2025-03-01T09:00:00Z', { status: 'entered-in-error' }))).toEqual([]);
    expect(readVitalSigns({ ...spo2(95, '2025-03-01T09:00:00Z'), effectiveDateTime: undefined })).toEqual([]);
  });
});

describe('times', () => {
  test('a date-time needs a zone; a date alone is refused', () => {
    expect(parseDateTime('2025-03-01T09:00:00+01:00')?.toISOString()).toBe('2025-03-01T08:00:00.000Z');
    expect(parseDateTime('2025-03-01T09:00Z')?.toISOString()).toBe('2025-03-01T09:00:00.000Z');
    expect(parseDateTime('2025-03-01')).toBeUndefined();
    expect(parseDateTime('2025-03-01T09:00:00')).toBeUndefined();
    expect(parseDateTime('2025-02-30T09:00:00Z')).toBeUndefined();
    expect(parseDateTime('2024-02-29T09:00:00Z')?.toISOString()).toBe('2024-02-29T09:00:00.000Z');
  });

  test('effectiveInstant and effectivePeriod (end, else start) are read', () => {
    const base = { ...spo2(95, '2025-03-01T09:00:00Z'), effectiveDateTime: undefined };
    expect(observationTime({ ...base, effectiveInstant: '2025-03-01T10:00:00Z' })?.toISOString()).toBe(
      '2025-03-01T10:00:00.000Z'
    );
    expect(
      observationTime({ ...base, effectivePeriod: { start: '2025-03-01T10:00:00Z', end: '2025-03-01T10:05:00Z' } })
    ).toEqual(new Date('2025-03-01T10:05:00Z'));
  });
});

test('formatMeasure prints values as clinicians read them', () => {
  expect(formatMeasure('bodyTemperature', 38)).toBe('38.0 °C');
  expect(formatMeasure('spo2', 92)).toBe('92 %');
  expect(formatMeasure('heartRate', 135)).toBe('135/min');
  expect(formatMeasure('bodyWeight', 82.456)).toBe('82.46 kg');
  expect(formatMeasure('bodyWeight', 80)).toBe('80 kg');
  expect(formatMeasure('systolic', 90)).toBe('90 mmHg');
});
