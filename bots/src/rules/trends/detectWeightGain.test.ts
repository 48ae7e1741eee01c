// Weight gain > 2 kg in 72 h: the 2.0/2.01 kg edge, the 72-hour window edges, pounds, order and unusable readings.
import { describe, expect, test } from 'vitest';
import { weight } from '../../testing/observations.ts';
import { detectWeightGain } from './detectWeightGain.ts';

describe('detectWeightGain', () => {
  test('a gain of exactly 2.0 kg does not fire; 2.01 kg fires', () => {
    const base = weight(80, '2025-03-01T09:00:00Z');
    const two = detectWeightGain([base, weight(82, '2025-03-03T09:00:00Z')]);
    expect(two).toMatchObject({ alert: false, gainKg: 2 });
    const twoAndABit = detectWeightGain([base, weight(82.01, '2025-03-03T09:00:00Z')]);
    expect(twoAndABit).toMatchObject({ alert: true, gainKg: 2.01 });
    expect(twoAndABit?.explanation).toBe(
      'Weight 82.01 kg on 2025-03-03T09:00:00Z is 2.01 kg above the lowest weight of the preceding 72 hours ' +
        '(80 kg on 2025-03-01T09:00:00Z); more than the limit of a 2 kg gain in 3 days'
    );
  });

  test('floating point does not turn 80.1 → 82.1 kg into more than 2 kg', () => {
    const result = detectWeightGain([weight(80.1, '2025-03-01T09:00:00Z'), weight(82.1, '2025-03-02T09:00:00Z')]);
    expect(result).toMatchObject({ alert: false, gainKg: 2 });
  });

  test('a baseline exactly 72 h before the newest is inside the window; 1 s earlier is outside', () => {
    const newest = weight(82.5, '2025-03-04T09:00:00Z');
    expect(detectWeightGain([weight(80, '2025-03-01T09:00:00Z'), newest])).toMatchObject({ alert: true });
    const outside = detectWeightGain([weight(80, '2025-03-01T08:59:59Z'), newest]);
    expect(outside).toMatchObject({ alert: false });
    expect(outside?.baseline).toBeUndefined();
    expect(outside?.explanation).toMatch(/no earlier weight in the preceding 72 hours/);
  });

  test('the baseline is the lowest weight of the window, not the first', () => {
    const result = detectWeightGain([
      weight(81, '2025-03-01T09:00:00Z'),
      weight(79.5, '2025-03-02T09:00:00Z'),
      weight(80.5, '2025-03-03T09:00:00Z'),
      weight(81.6, '2025-03-04T09:00:00Z'),
    ]);
    expect(result).toMatchObject({ alert: true, gainKg: 2.1 });
    expect(result?.baseline?.value).toBe(79.5);
  });

  test('pounds are converted: a 4.4 lb gain (1.996 kg) does not fire, 4.5 lb (2.041 kg) does', () => {
    const base = weight(176, '2025-03-01T09:00:00Z', {}, '[lb_av]');
    expect(detectWeightGain([base, weight(180.4, '2025-03-02T09:00:00Z', {}, '[lb_av]')])).toMatchObject({
      alert: false,
      gainKg: 1.996,
    });
    expect(detectWeightGain([base, weight(180.5, '2025-03-02T09:00:00Z', {}, '[lb_av]')])).toMatchObject({
      alert: true,
      gainKg: 2.041,
    });
  });

  test('readings in mixed units (kg, g, lb) are compared in kg', () => {
    const result = detectWeightGain([
      weight(80_000, '2025-03-01T09:00:00Z', {}, 'g'),
      weight(181, '2025-03-02T09:00:00Z', {}, '[lb_av]'),
    ]);
    expect(result).toMatchObject({ alert: true, gainKg: 2.1 });
  });

  test('out-of-order readings: the newest by effective time is evaluated, whatever the order given', () => {
    const readings = [
      weight(82.2, '2025-03-03T09:00:00Z'),
      weight(80, '2025-03-01T09:00:00Z'),
      weight(81, '2025-03-02T09:00:00Z'),
    ];
    for (const order of [readings, [...readings].reverse(), [readings[1], readings[0], readings[2]]]) {
      const result = detectWeightGain(order);
      expect(result?.newest.value).toBe(82.2);
      expect(result).toMatchObject({ alert: true, gainKg: 2.2 });
    }
  });

  test('a late upload of an older reading does not hide a gain at the newest', () => {
    const result = detectWeightGain([weight(82.2, '2025-03-03T09:00:00Z'), weight(79, '2025-03-01T21:00:00Z')]);
    expect(result).toMatchObject({ alert: true, gainKg: 3.2 });
  });

  test('a weight loss does not fire', () => {
    const result = detectWeightGain([weight(83, '2025-03-01T09:00:00Z'), weight(80, '2025-03-02T09:00:00Z')]);
    expect(result).toMatchObject({ alert: false, gainKg: -3 });
    expect(result?.explanation).toMatch(/is 3 kg below the lowest weight/);
  });

  test('readings entered in error are ignored; no usable weight gives undefined', () => {
    const result = detectWeightGain([
      weight(75, '2025-03-01T09:00:00Z', { status: 'entered-in-error' }),
      weight(80, '2025-03-02T09:00:00Z'),
      weight(81, '2025-03-03T09:00:00Z'),
    ]);
    expect(result).toMatchObject({ alert: false, gainKg: 1 });
    expect(detectWeightGain([])).toBeUndefined();
    expect(detectWeightGain([weight(80, '2025-03-01T09:00:00Z', { status: 'cancelled' })])).toBeUndefined();
  });

  test('two readings at the same newest time: the heavier is the newest (the safer choice)', () => {
    const result = detectWeightGain([
      weight(80, '2025-03-01T09:00:00Z'),
      weight(82.5, '2025-03-02T09:00:00Z'),
      weight(81.5, '2025-03-02T09:00:00Z'),
    ]);
    expect(result?.newest.value).toBe(82.5);
    expect(result?.alert).toBe(true);
  });
});
