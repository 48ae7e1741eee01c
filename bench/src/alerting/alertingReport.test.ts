// The alerting rate target: readings offered at 500/s or more, committed at that pace, none failed.
import { describe, expect, test } from 'vitest';
import { keptPace } from './alertingReport.ts';

describe('keptPace', () => {
  test('the offered rate less the jitter of two commit times keeps pace; falling 1 % behind does not', () => {
    expect(keptPace(499.8, 500, 0)).toBe(true);
    expect(keptPace(495, 500, 0)).toBe(true);
    expect(keptPace(494.9, 500, 0)).toBe(false);
    expect(keptPace(454, 500, 0)).toBe(false);
  });

  test('an offered rate under the target never passes, nor does a run with failed readings', () => {
    expect(keptPace(400, 400, 0)).toBe(false);
    expect(keptPace(500, 500, 1)).toBe(false);
  });
});
