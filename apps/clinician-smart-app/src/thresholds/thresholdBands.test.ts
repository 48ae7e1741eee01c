// Chart bands from the thresholds in force: the same limits as the bots' evaluateThreshold, areas, domain and legend.
import type { Goal, PlanDefinition } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import { evaluateThreshold } from '../../../../bots/src/rules/thresholds/evaluateThreshold.ts';
import { readExample } from '../../../../bots/src/testing/examples.ts';
import { pulse, spo2 } from '../../../../bots/src/testing/observations.ts';
import { bandAreas, chartDomain, chartLimits, effectiveThresholds, legendLines } from './thresholdBands.ts';

const AT = '2025-03-01T09:00:00Z';
const respiratory = () => readExample<PlanDefinition>('rpm-threshold-programme-respiratory-virtual-ward');
const spo2Overrides = () => [
  readExample<Goal>('rpm-threshold-goal-spo2-amber'),
  readExample<Goal>('rpm-threshold-goal-spo2-red'),
];

/** The band a chart area puts a value in (boundaries belong to the acceptable side, as in the rules). */
function bandAt(areas: ReturnType<typeof bandAreas>, value: number): string {
  const inside = areas.filter((a) =>
    a.side === 'low' ? a.y1 <= value && value < a.y2 : a.y1 < value && value <= a.y2
  );
  return inside.find((a) => a.band === 'red') ? 'red' : inside.length ? 'amber' : 'none';
}

describe('chartLimits and bandAreas', () => {
  test('programme defaults: every value from 30 to 200 falls in the band the bots give it (pulse)', () => {
    const thresholds = effectiveThresholds(respiratory(), []);
    const limits = chartLimits('heartRate', thresholds);
    expect(limits.map((l) => `${l.band} ${l.side} ${l.value} ${l.source}`)).toEqual([
      'red low 41 programme',
      'red high 130 programme',
      'amber low 51 programme',
      'amber high 110 programme',
    ]);
    const areas = bandAreas(limits, 'heartRate', [0, 250]);
    for (let value = 30; value <= 200; value++) {
      expect(bandAt(areas, value), `pulse ${value}`).toBe(evaluateThreshold(pulse(value, AT), thresholds).level);
    }
  });

  test('patient overrides (the SpO2 88–92 % examples) move the bands exactly as they move the alerts', () => {
    const thresholds = effectiveThresholds(respiratory(), spo2Overrides());
    const limits = chartLimits('spo2', thresholds);
    expect(limits.every((l) => l.source === 'patient')).toBe(true);
    const areas = bandAreas(limits, 'spo2', [70, 100]);
    for (let value = 71; value <= 100; value++) {
      expect(bandAt(areas, value), `SpO2 ${value}`).toBe(evaluateThreshold(spo2(value, AT), thresholds).level);
    }
  });

  test('a retired (cancelled) override no longer counts', () => {
    const cancelled = spo2Overrides().map((g) => ({ ...g, lifecycleStatus: 'cancelled' as const }));
    const limits = chartLimits('spo2', effectiveThresholds(respiratory(), cancelled));
    expect(limits.every((l) => l.source === 'programme')).toBe(true);
  });

  test('blood pressure draws systolic and diastolic limits; no programme means overrides only', () => {
    const thresholds = effectiveThresholds(respiratory(), []);
    expect(new Set(chartLimits('bloodPressure', thresholds).map((l) => l.measure))).toEqual(new Set(['systolic']));
    expect(chartLimits('heartRate', effectiveThresholds(undefined, []))).toEqual([]);
    expect(chartLimits('news2', thresholds)).toEqual([]);
  });

  test('areas are clipped to the domain and an amber band without a red limit reaches the edge', () => {
    const limits = [{ measure: 'heartRate', band: 'amber', side: 'high', value: 110, source: 'programme' }] as const;
    expect(bandAreas([...limits], 'heartRate', [40, 150])).toEqual([{ band: 'amber', side: 'high', y1: 110, y2: 150 }]);
    expect(bandAreas([...limits], 'heartRate', [40, 100])).toEqual([]);
  });
});

describe('chartDomain', () => {
  test('includes readings and limits with room around them', () => {
    expect(
      chartDomain([70, 80], [{ measure: 'heartRate', band: 'red', side: 'high', value: 130, source: 'programme' }])
    ).toEqual([64, 136]);
    expect(chartDomain([], [])).toEqual([0, 1]);
  });
});

describe('legendLines', () => {
  test('bands in words with where each limit comes from', () => {
    const thresholds = effectiveThresholds(respiratory(), spo2Overrides());
    expect(legendLines(chartLimits('heartRate', thresholds), 'beats/min')).toEqual([
      'Amber: below 51 or above 110 beats/min (programme default)',
      'Red: below 41 or above 130 beats/min (programme default)',
    ]);
    expect(legendLines(chartLimits('spo2', thresholds), '%')).toEqual([
      "Amber: below 88 % (patient's own limit)",
      "Red: below 85 % (patient's own limit)",
    ]);
    expect(legendLines(chartLimits('bloodPressure', thresholds), 'mmHg')[0]).toMatch(/^Systolic amber: below 101/);
    expect(legendLines(chartLimits('bodyTemperature', thresholds), '°C')[0]).toBe(
      'Amber: below 36.1 or above 38.0 °C (programme default)'
    );
  });
});
