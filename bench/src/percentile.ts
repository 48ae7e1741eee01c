// Percentiles of recorded latencies (nearest-rank), exact to the microsecond rather than autocannon's whole milliseconds.

/** The p-th percentile (0 < p <= 100) by nearest rank; NaN for no samples. Sorts a copy. */
export function percentile(samples: ArrayLike<number>, p: number): number {
  return percentiles(samples, [p])[0];
}

/** Several percentiles from one sort. */
export function percentiles(samples: ArrayLike<number>, ps: number[]): number[] {
  if (samples.length === 0) {
    return ps.map(() => Number.NaN);
  }
  const sorted = Float64Array.from(samples).sort();
  return ps.map((p) => {
    const rank = Math.ceil((p / 100) * sorted.length);
    return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
  });
}

/** Growable list of float samples without boxing each number. */
export class SampleRecorder {
  private values = new Float64Array(1 << 16);
  length = 0;

  add(value: number): void {
    if (this.length === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.length++] = value;
  }

  samples(): Float64Array {
    return this.values.subarray(0, this.length);
  }
}
