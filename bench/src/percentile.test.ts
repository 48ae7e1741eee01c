// Nearest-rank percentiles used for p50/p95.
import { describe, expect, it } from 'vitest';
import { percentile, percentiles, SampleRecorder } from './percentile.ts';

describe('percentile', () => {
  it('uses nearest rank', () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentiles(samples, [50, 95, 99, 100])).toEqual([50, 95, 99, 100]);
    expect(percentile([3.5], 95)).toBe(3.5);
    expect(percentile([], 50)).toBeNaN();
  });

  it('records any number of samples', () => {
    const recorder = new SampleRecorder();
    for (let i = 1; i <= 100_000; i++) {
      recorder.add(i / 1000);
    }
    expect(recorder.length).toBe(100_000);
    expect(percentile(recorder.samples(), 95)).toBeCloseTo(95, 6);
  });
});
