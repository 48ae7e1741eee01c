// NEWS2 scoring: both sides of every band edge of every parameter (RCP 2017 chart 1), totals, rounding and bad input.
import { describe, expect, test } from 'vitest';
import {
  scoreAirOrOxygen,
  scoreConsciousness,
  scoreNews2,
  scorePulse,
  scoreRespirationRate,
  scoreSpo2Scale1,
  scoreSpo2Scale2,
  scoreSystolicBp,
  scoreTemperature,
} from './scoreNews2.ts';
import type { News2Inputs } from './scoreNews2.ts';

/** A set that scores 0 in every parameter. */
const NORMAL: News2Inputs = {
  respirationRate: 16,
  spo2: 97,
  airOrOxygen: 'air',
  systolicBp: 120,
  pulse: 70,
  consciousness: 'A',
  temperature: 37.0,
};

describe('respiration rate', () => {
  test.each([
    [0, 3],
    [8, 3],
    [9, 1],
    [11, 1],
    [12, 0],
    [20, 0],
    [21, 2],
    [24, 2],
    [25, 3],
    [60, 3],
  ])('%d/min scores %d', (rate, score) => {
    expect(scoreRespirationRate(rate)).toBe(score);
    expect(scoreNews2({ ...NORMAL, respirationRate: rate }).scores.respirationRate).toBe(score);
  });

  test.each([
    [8.49, 3],
    [8.5, 1],
    [11.49, 1],
    [11.5, 0],
    [20.49, 0],
    [20.5, 2],
    [24.49, 2],
    [24.5, 3],
  ])('a decimal %d/min is rounded half up before banding: scores %d', (rate, score) => {
    expect(scoreRespirationRate(rate)).toBe(score);
  });
});

describe('SpO2 scale 1', () => {
  test.each([
    [70, 3],
    [91, 3],
    [92, 2],
    [93, 2],
    [94, 1],
    [95, 1],
    [96, 0],
    [100, 0],
  ])('%d %% scores %d', (spo2, score) => {
    expect(scoreSpo2Scale1(spo2)).toBe(score);
    expect(scoreNews2({ ...NORMAL, spo2 }).scores.spo2).toBe(score);
  });

  test.each([
    [91.49, 3],
    [91.5, 2],
    [95.49, 1],
    [95.5, 0],
  ])('a decimal %d %% is rounded half up: scores %d', (spo2, score) => {
    expect(scoreSpo2Scale1(spo2)).toBe(score);
  });

  test('oxygen does not change the SpO2 score on scale 1 (it scores separately)', () => {
    expect(scoreNews2({ ...NORMAL, spo2: 97, airOrOxygen: 'oxygen' }).scores).toMatchObject({
      spo2: 0,
      airOrOxygen: 2,
    });
  });
});

describe('SpO2 scale 2', () => {
  test.each([
    [80, 3, 3],
    [83, 3, 3],
    [84, 2, 2],
    [85, 2, 2],
    [86, 1, 1],
    [87, 1, 1],
    [88, 0, 0],
    [92, 0, 0],
    [93, 0, 1],
    [94, 0, 1],
    [95, 0, 2],
    [96, 0, 2],
    [97, 0, 3],
    [100, 0, 3],
  ])('%d %% scores %d on air and %d on oxygen', (spo2, onAir, onOxygen) => {
    expect(scoreSpo2Scale2(spo2, 'air')).toBe(onAir);
    expect(scoreSpo2Scale2(spo2, 'oxygen')).toBe(onOxygen);
    expect(scoreNews2({ ...NORMAL, spo2, spo2Scale: 2, airOrOxygen: 'air' }).scores.spo2).toBe(onAir);
    expect(scoreNews2({ ...NORMAL, spo2, spo2Scale: 2, airOrOxygen: 'oxygen' }).scores.spo2).toBe(onOxygen);
  });

  test('scale 2 is used only when asked for: the same 89 % scores 3 on scale 1 and 0 on scale 2', () => {
    expect(scoreNews2({ ...NORMAL, spo2: 89 }).scores.spo2).toBe(3);
    expect(scoreNews2({ ...NORMAL, spo2: 89 }).spo2Scale).toBe(1);
    expect(scoreNews2({ ...NORMAL, spo2: 89, spo2Scale: 2 }).scores.spo2).toBe(0);
    expect(scoreNews2({ ...NORMAL, spo2: 89, spo2Scale: 2 }).spo2Scale).toBe(2);
  });

  test('a decimal is rounded half up: 92.5 % on oxygen is 93 and scores 1', () => {
    expect(scoreSpo2Scale2(92.49, 'oxygen')).toBe(0);
    expect(scoreSpo2Scale2(92.5, 'oxygen')).toBe(1);
  });
});

describe('air or oxygen', () => {
  test('air scores 0, oxygen scores 2', () => {
    expect(scoreAirOrOxygen('air')).toBe(0);
    expect(scoreAirOrOxygen('oxygen')).toBe(2);
    expect(scoreNews2({ ...NORMAL, airOrOxygen: 'oxygen' }).scores.airOrOxygen).toBe(2);
    expect(scoreNews2({ ...NORMAL, airOrOxygen: 'air' }).scores.airOrOxygen).toBe(0);
  });
});

describe('systolic blood pressure', () => {
  test.each([
    [60, 3],
    [90, 3],
    [91, 2],
    [100, 2],
    [101, 1],
    [110, 1],
    [111, 0],
    [219, 0],
    [220, 3],
    [260, 3],
  ])('%d mmHg scores %d', (systolicBp, score) => {
    expect(scoreSystolicBp(systolicBp)).toBe(score);
    expect(scoreNews2({ ...NORMAL, systolicBp }).scores.systolicBp).toBe(score);
  });

  test.each([
    [90.49, 3],
    [90.5, 2],
    [219.49, 0],
    [219.5, 3],
  ])('a decimal %d mmHg is rounded half up: scores %d', (systolicBp, score) => {
    expect(scoreSystolicBp(systolicBp)).toBe(score);
  });
});

describe('pulse', () => {
  test.each([
    [30, 3],
    [40, 3],
    [41, 1],
    [50, 1],
    [51, 0],
    [90, 0],
    [91, 1],
    [110, 1],
    [111, 2],
    [130, 2],
    [131, 3],
    [180, 3],
  ])('%d/min scores %d', (pulse, score) => {
    expect(scorePulse(pulse)).toBe(score);
    expect(scoreNews2({ ...NORMAL, pulse }).scores.pulse).toBe(score);
  });

  test.each([
    [40.49, 3],
    [40.5, 1],
    [90.49, 0],
    [90.5, 1],
    [130.49, 2],
    [130.5, 3],
  ])('a decimal %d/min is rounded half up: scores %d', (pulse, score) => {
    expect(scorePulse(pulse)).toBe(score);
  });
});

describe('consciousness (ACVPU)', () => {
  test.each([
    ['A', 0],
    ['C', 3],
    ['V', 3],
    ['P', 3],
    ['U', 3],
  ] as const)('%s scores %d', (acvpu, score) => {
    expect(scoreConsciousness(acvpu)).toBe(score);
    expect(scoreNews2({ ...NORMAL, consciousness: acvpu }).scores.consciousness).toBe(score);
  });
});

describe('temperature', () => {
  test.each([
    [33.0, 3],
    [35.0, 3],
    [35.1, 1],
    [36.0, 1],
    [36.1, 0],
    [38.0, 0],
    [38.1, 1],
    [39.0, 1],
    [39.1, 2],
    [41.0, 2],
  ])('%d °C scores %d', (temperature, score) => {
    expect(scoreTemperature(temperature)).toBe(score);
    expect(scoreNews2({ ...NORMAL, temperature }).scores.temperature).toBe(score);
  });

  test.each([
    [35.04, 3],
    [35.05, 1],
    [36.04, 1],
    [36.05, 0],
    [38.04, 0],
    [38.05, 1],
    [39.04, 1],
    [39.05, 2],
  ])('%d °C is rounded half up to one decimal before banding: scores %d', (temperature, score) => {
    expect(scoreTemperature(temperature)).toBe(score);
  });

  test('the banded value is reported', () => {
    expect(scoreNews2({ ...NORMAL, temperature: 35.05 }).banded.temperature).toBe(35.1);
  });
});

describe('totals and clinical response', () => {
  test('all parameters normal: total 0, low risk, routine monitoring', () => {
    const result = scoreNews2(NORMAL);
    expect(result.total).toBe(0);
    expect(result.response).toMatchObject({ risk: 'low', trigger: 'score-0', monitoring: 'Minimum 12-hourly.' });
  });

  test('total 1 and total 4 without a single 3 are low risk', () => {
    expect(scoreNews2({ ...NORMAL, pulse: 95 }).response).toMatchObject({ risk: 'low', trigger: 'score-1-4' });
    const four = scoreNews2({ ...NORMAL, respirationRate: 22, spo2: 93 });
    expect(four.total).toBe(4);
    expect(four.response).toMatchObject({ risk: 'low', trigger: 'score-1-4' });
  });

  test('a single 3 with a total of 3 or 4 is low–medium', () => {
    const three = scoreNews2({ ...NORMAL, consciousness: 'C' });
    expect(three.total).toBe(3);
    expect(three.response).toMatchObject({ risk: 'low-medium', trigger: 'single-parameter-3' });
    const four = scoreNews2({ ...NORMAL, respirationRate: 26, pulse: 95 });
    expect(four.total).toBe(4);
    expect(four.response.risk).toBe('low-medium');
  });

  test('total 5 and 6 are medium, even with a single 3 among them', () => {
    const five = scoreNews2({ ...NORMAL, systolicBp: 90, airOrOxygen: 'oxygen' });
    expect(five.total).toBe(5);
    expect(five.response).toMatchObject({ risk: 'medium', trigger: 'score-5-6' });
    const six = scoreNews2({ ...NORMAL, respirationRate: 22, spo2: 92, airOrOxygen: 'oxygen' });
    expect(six.total).toBe(6);
    expect(six.response.risk).toBe('medium');
  });

  test('total 7 and above is high', () => {
    const seven = scoreNews2({ ...NORMAL, respirationRate: 25, spo2: 93, airOrOxygen: 'oxygen' });
    expect(seven.total).toBe(7);
    expect(seven.response).toMatchObject({ risk: 'high', trigger: 'score-7-or-more' });
  });

  test('the maximum total is 20, on either SpO2 scale', () => {
    const worst: News2Inputs = {
      respirationRate: 30,
      spo2: 80,
      airOrOxygen: 'oxygen',
      systolicBp: 80,
      pulse: 140,
      consciousness: 'U',
      temperature: 34.0,
    };
    expect(scoreNews2(worst).total).toBe(20);
    expect(scoreNews2({ ...worst, spo2Scale: 2 }).total).toBe(20);
    expect(scoreNews2({ ...worst, spo2: 98, spo2Scale: 2 }).total).toBe(20);
    expect(scoreNews2(worst).response.risk).toBe('high');
  });

  test('the total is the sum of the parameter scores', () => {
    const result = scoreNews2({ ...NORMAL, respirationRate: 10, spo2: 94, pulse: 112, temperature: 38.5 });
    expect(result.scores).toEqual({
      respirationRate: 1,
      spo2: 1,
      airOrOxygen: 0,
      systolicBp: 0,
      pulse: 2,
      consciousness: 0,
      temperature: 1,
    });
    expect(result.total).toBe(5);
  });
});

describe('impossible inputs', () => {
  test.each([
    ['a negative rate', { respirationRate: -1 }],
    ['NaN', { pulse: Number.NaN }],
    ['infinity', { systolicBp: Number.POSITIVE_INFINITY }],
    ['SpO2 above 100', { spo2: 101 }],
    ['an unknown ACVPU', { consciousness: 'X' }],
    ['an unknown air/oxygen', { airOrOxygen: 'nasal' }],
    ['an unknown scale', { spo2Scale: 3 }],
  ])('%s is refused', (_name, change) => {
    expect(() => scoreNews2({ ...NORMAL, ...(change as Partial<News2Inputs>) })).toThrow(RangeError);
  });
});
