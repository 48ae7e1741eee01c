// Readings into chart series: blood pressure as systolic/diastolic, other measures by LOINC code, ranges by time.
import type { Observation } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import { formatPoint, pointsInRange, vitalSignSeries, VITAL_SIGNS } from './vitalSigns.ts';

const LOINC = 'http://loinc.org';

function reading(code: string, time: string, value?: number, components?: [string, number][]): Observation {
  return {
    resourceType: 'Observation',
    id: `${code}-${time}`,
    status: 'final',
    code: { coding: [{ system: LOINC, code }] },
    effectiveDateTime: time,
    ...(value !== undefined ? { valueQuantity: { value } } : {}),
    ...(components
      ? {
          component: components.map(([c, v]) => ({
            code: { coding: [{ system: LOINC, code: c }] },
            valueQuantity: { value: v },
          })),
        }
      : {}),
  };
}

describe('vitalSignSeries', () => {
  test('one series per measure with readings, in display order, oldest first', () => {
    const series = vitalSignSeries([
      reading('8867-4', '2026-03-12T10:00:00Z', 80),
      reading('8867-4', '2026-03-11T10:00:00Z', 72),
      reading('59408-5', '2026-03-12T10:00:00Z', 95),
      reading('85354-9', '2026-03-12T09:00:00Z', undefined, [
        ['8480-6', 128],
        ['8462-4', 82],
      ]),
      reading('1234-5', '2026-03-12T10:00:00Z', 1),
    ]);
    expect(series.map((s) => s.definition.kind)).toEqual(['bloodPressure', 'heartRate', 'spo2']);
    expect(series[1].points.map((p) => p.value)).toEqual([72, 80]);
    expect(series[0].points[0]).toMatchObject({ value: 128, value2: 82 });
    expect(formatPoint(series[0].points[0], VITAL_SIGNS[0])).toBe('128/82 mmHg');
  });

  test('a reading without a value or time is left out', () => {
    expect(vitalSignSeries([reading('8867-4', '2026-03-12T10:00:00Z'), reading('8867-4', '', 70)])).toEqual([]);
  });
});

describe('pointsInRange', () => {
  test('24 hours, 7 days and 30 days back from now, inclusive', () => {
    const now = Date.parse('2026-03-12T12:00:00Z');
    const points = [1, 24, 25, 7 * 24, 8 * 24, 30 * 24, 31 * 24].map((hours) => ({
      time: now - hours * 3_600_000,
      value: hours,
    }));
    expect(pointsInRange(points, '24h', now).map((p) => p.value)).toEqual([1, 24]);
    expect(pointsInRange(points, '7d', now).map((p) => p.value)).toEqual([1, 24, 25, 168]);
    expect(pointsInRange(points, '30d', now).map((p) => p.value)).toEqual([1, 24, 25, 168, 192, 720]);
  });
});

describe('news2Series', () => {
  test('NEWS2 totals over time, oldest first; none without NEWS2 Observations', async () => {
    const { news2Series } = await import('./news2Series.ts');
    const news2 = (score: number, time: string): Observation => ({
      resourceType: 'Observation',
      status: 'final',
      code: { coding: [{ system: 'http://snomed.info/sct', code: '1104051000000101' }] },
      effectiveDateTime: time,
      valueInteger: score,
    });
    const series = news2Series([news2(7, '2026-03-12T10:00:00Z'), news2(3, '2026-03-11T10:00:00Z')]);
    expect(series?.definition.label).toBe('NEWS2');
    expect(series?.points.map((p) => p.value)).toEqual([3, 7]);
    expect(news2Series([])).toBeUndefined();
  });
});
