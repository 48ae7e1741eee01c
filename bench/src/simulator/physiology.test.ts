// The physiology model: reproducible per seed, plausible ranges, a diurnal rhythm, deteriorations that cross alert lines.
import { describe, expect, test } from 'vitest';
import { circadian, deteriorationSeverity, newPatientState, nextVitalSigns, type VitalSigns } from './physiology.ts';

function series(seed: number, index: number, count: number, hour = (i: number) => i % 24): VitalSigns[] {
  const state = newPatientState(seed, index);
  return Array.from({ length: count }, (_, i) => nextVitalSigns(state, hour(i)));
}

describe('physiology', () => {
  test('the same seed and patient give the same readings; another seed or patient differs', () => {
    expect(series(7, 3, 50)).toEqual(series(7, 3, 50));
    expect(series(8, 3, 50)).not.toEqual(series(7, 3, 50));
    expect(series(7, 4, 50)).not.toEqual(series(7, 3, 50));
  });

  test("a patient's baseline is theirs whatever the seed (reruns against one server keep their weight)", () => {
    expect(newPatientState(1, 5).baseline).toEqual(newPatientState(99, 5).baseline);
    expect(newPatientState(1, 6).baseline).not.toEqual(newPatientState(1, 5).baseline);
  });

  test('circadian rhythm: lowest at 04:00, highest at 16:00', () => {
    expect(circadian(4)).toBeCloseTo(-1);
    expect(circadian(16)).toBeCloseTo(1);
    expect(circadian(10)).toBeCloseTo(0);
  });

  test('heart rate, blood pressure and temperature are higher in the afternoon than before dawn', () => {
    const state = newPatientState(1, 0);
    const well = { deteriorationChance: 0, deteriorationReadings: 10 };
    const mean = (hour: number, key: keyof VitalSigns) => {
      let sum = 0;
      for (let i = 0; i < 400; i++) sum += nextVitalSigns(state, hour, well)[key];
      return sum / 400;
    };
    expect(mean(16, 'heartRate') - mean(4, 'heartRate')).toBeGreaterThan(8);
    expect(mean(16, 'systolic') - mean(4, 'systolic')).toBeGreaterThan(10);
    expect(mean(16, 'temperature') - mean(4, 'temperature')).toBeGreaterThan(0.4);
  });

  test('without deteriorations every value stays in a plausible well range, with noise', () => {
    const state = newPatientState(2, 9);
    const readings = Array.from({ length: 2000 }, (_, i) =>
      nextVitalSigns(state, i % 24, { deteriorationChance: 0, deteriorationReadings: 10 })
    );
    for (const r of readings) {
      expect(r.heartRate).toBeGreaterThan(45);
      expect(r.heartRate).toBeLessThan(105);
      expect(r.spo2).toBeGreaterThanOrEqual(92);
      expect(r.spo2).toBeLessThanOrEqual(100);
      expect(r.diastolic).toBeLessThanOrEqual(r.systolic - 20);
      expect(r.temperature).toBeGreaterThan(35.5);
      expect(r.temperature).toBeLessThan(37.8);
      expect(r.respiratoryRate).toBeGreaterThan(8);
      expect(r.respiratoryRate).toBeLessThan(23);
    }
    expect(new Set(readings.map((r) => Math.round(r.heartRate))).size).toBeGreaterThan(10);
  });

  test('a deterioration rises to its peak halfway and recovers', () => {
    const severities = [10, 9, 8, 7, 6, 5, 4, 3, 2, 1].map((left) => deteriorationSeverity(left, 10));
    expect(Math.max(...severities)).toBeGreaterThan(0.95);
    expect(severities[0]).toBeLessThan(0.3);
    expect(severities[9]).toBeLessThan(0.3);
    expect(deteriorationSeverity(0, 10)).toBe(0);
  });

  test('a deterioration at its peak crosses the red lines (SpO2 <= 91 %, pulse >= 111) and is counted', () => {
    const state = newPatientState(3, 1);
    const always = { deteriorationChance: 1, deteriorationReadings: 9 };
    const episode = Array.from({ length: 9 }, () => nextVitalSigns(state, 12, always));
    expect(state.deteriorationsStarted).toBe(1);
    expect(Math.min(...episode.map((r) => r.spo2))).toBeLessThanOrEqual(91);
    expect(Math.max(...episode.map((r) => r.heartRate))).toBeGreaterThanOrEqual(100);
    expect(Math.max(...episode.map((r) => r.temperature))).toBeGreaterThan(38);
    // The episode is over: the next reading starts another (chance 1), so two were started in all.
    nextVitalSigns(state, 12, always);
    expect(state.deteriorationsStarted).toBe(2);
  });

  test('at the default chance, deteriorations are occasional: a few per patient per hundred readings', () => {
    let started = 0;
    for (let patient = 0; patient < 50; patient++) {
      const state = newPatientState(1, patient);
      for (let i = 0; i < 100; i++) nextVitalSigns(state, i % 24);
      started += state.deteriorationsStarted;
    }
    expect(started / 50).toBeGreaterThan(0.5);
    expect(started / 50).toBeLessThan(4);
  });
});
