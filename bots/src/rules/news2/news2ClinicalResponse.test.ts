// The RCP 2017 clinical response bands: precedence of the single-parameter-3 rule and the aggregate thresholds.
import { describe, expect, test } from 'vitest';
import { news2ClinicalResponse } from './news2ClinicalResponse.ts';

describe('news2ClinicalResponse', () => {
  test.each([
    [0, [0, 0, 0, 0, 0, 0, 0], 'low', 'score-0'],
    [1, [1, 0, 0, 0, 0, 0, 0], 'low', 'score-1-4'],
    [4, [2, 2, 0, 0, 0, 0, 0], 'low', 'score-1-4'],
    [3, [3, 0, 0, 0, 0, 0, 0], 'low-medium', 'single-parameter-3'],
    [4, [3, 1, 0, 0, 0, 0, 0], 'low-medium', 'single-parameter-3'],
    [5, [2, 2, 1, 0, 0, 0, 0], 'medium', 'score-5-6'],
    [5, [3, 2, 0, 0, 0, 0, 0], 'medium', 'score-5-6'],
    [6, [3, 3, 0, 0, 0, 0, 0], 'medium', 'score-5-6'],
    [7, [2, 2, 2, 1, 0, 0, 0], 'high', 'score-7-or-more'],
    [20, [3, 3, 2, 3, 3, 3, 3], 'high', 'score-7-or-more'],
  ])('total %d with scores %j is %s (%s)', (total, scores, risk, trigger) => {
    expect(news2ClinicalResponse(total, scores)).toMatchObject({ risk, trigger });
  });

  test('each band carries a monitoring frequency and a response', () => {
    expect(news2ClinicalResponse(0, [0]).monitoring).toBe('Minimum 12-hourly.');
    expect(news2ClinicalResponse(2, [2]).monitoring).toBe('Minimum 4–6-hourly.');
    expect(news2ClinicalResponse(3, [3]).response).toMatch(/informs the medical team/);
    expect(news2ClinicalResponse(5, [3, 2]).response).toMatch(/^Urgent response threshold/);
    expect(news2ClinicalResponse(7, [3, 3, 1]).monitoring).toBe('Continuous monitoring of vital signs.');
    expect(news2ClinicalResponse(7, [3, 3, 1]).response).toMatch(/^Emergency response threshold/);
  });

  test.each([-1, 21, 2.5])('refuses the impossible total %d', (total) => {
    expect(() => news2ClinicalResponse(total, [])).toThrow(RangeError);
  });
});
