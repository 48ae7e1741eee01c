// Date ranges: partial dates, times, fractions and zones map to the inclusive instant ranges they denote.
import { describe, expect, test } from 'vitest';
import { parseDateRange, toIso } from './dates.ts';

function range(value: string): [string, string] | undefined {
  const r = parseDateRange(value);
  return r && [toIso(r.low), toIso(r.high)];
}

describe('parseDateRange', () => {
  test('partial dates cover the whole year, month or day (UTC)', () => {
    expect(range('2024')).toEqual(['2024-01-01T00:00:00.000Z', '2024-12-31T23:59:59.999Z']);
    expect(range('2024-02')).toEqual(['2024-02-01T00:00:00.000Z', '2024-02-29T23:59:59.999Z']);
    expect(range('2023-02')).toEqual(['2023-02-01T00:00:00.000Z', '2023-02-28T23:59:59.999Z']);
    expect(range('2024-03-05')).toEqual(['2024-03-05T00:00:00.000Z', '2024-03-05T23:59:59.999Z']);
  });

  test('times cover their precision, and zones are applied', () => {
    expect(range('2024-03-05T10:30')).toEqual(['2024-03-05T10:30:00.000Z', '2024-03-05T10:30:59.999Z']);
    expect(range('2024-03-05T10:30:15Z')).toEqual(['2024-03-05T10:30:15.000Z', '2024-03-05T10:30:15.999Z']);
    expect(range('2024-03-05T10:30:15.5Z')).toEqual(['2024-03-05T10:30:15.500Z', '2024-03-05T10:30:15.599Z']);
    expect(range('2024-03-05T10:30:15.123456Z')).toEqual(['2024-03-05T10:30:15.123Z', '2024-03-05T10:30:15.123Z']);
    expect(range('2024-03-05T10:30:00+02:00')).toEqual(['2024-03-05T08:30:00.000Z', '2024-03-05T08:30:00.999Z']);
    expect(range('2024-03-05T23:30:00-05:00')).toEqual(['2024-03-06T04:30:00.000Z', '2024-03-06T04:30:00.999Z']);
  });

  test('years below 100 are literal, and out-of-range instants become infinity', () => {
    expect(range('0050')).toEqual(['0050-01-01T00:00:00.000Z', '0050-12-31T23:59:59.999Z']);
    expect(range('0001-01-01T00:00:00+01:00')?.[0]).toBe('-infinity');
  });

  test('malformed or impossible dates are rejected', () => {
    for (const bad of [
      '',
      '24',
      '2024-13',
      '2024-02-30',
      '2023-02-29',
      '2024-03-05T24:00',
      '2024-03-05T10',
      '2024-03-05T10:61',
      '0000',
      '2024-03-05T10:00:60Z',
      '2024-03-05T10:00+15:00',
      "2024'; DROP TABLE resource;--",
      '2024-03-05 10:00',
    ]) {
      expect(parseDateRange(bad), bad).toBeUndefined();
    }
  });
});
