// Heart rate measurement 0x2A37: the worked vector, uint16 values, contact states, RR intervals, truncation.
import { describe, expect, test } from 'vitest';
import { decodeHeartRateMeasurement } from './heartRateMeasurement.ts';
import { hex } from './testBytes.ts';

describe('decodeHeartRateMeasurement', () => {
  test("RPM-REFERENCE.md's vector: 85 bpm, contact detected, 50 kJ, one RR interval of 33/1024 s", () => {
    expect(decodeHeartRateMeasurement(hex('1E 55 32 00 21 00'))).toEqual({
      kind: 'heart-rate',
      heartRate: 85,
      sensorContact: 'detected',
      energyExpended: 50,
      rrIntervals: [33 / 1024],
    });
  });

  test('uint16 heart rate, no contact support, no energy, no RR', () => {
    expect(decodeHeartRateMeasurement(hex('01 2C 01'))).toEqual({
      kind: 'heart-rate',
      heartRate: 300,
      sensorContact: 'not-supported',
      rrIntervals: [],
    });
  });

  test('contact supported but not detected', () => {
    expect(decodeHeartRateMeasurement(hex('04 48')).sensorContact).toBe('not-detected');
  });

  test('several RR intervals without energy', () => {
    expect(decodeHeartRateMeasurement(hex('10 48 00 04 00 02')).rrIntervals).toEqual([1, 0.5]);
  });

  test('truncated: missing value, missing energy, RR flag without an interval, half an interval', () => {
    expect(() => decodeHeartRateMeasurement(hex('00'))).toThrow(/heart rate \(uint8\) needs 1 byte/);
    expect(() => decodeHeartRateMeasurement(hex('01 48'))).toThrow(/heart rate \(uint16\) needs 2 byte/);
    expect(() => decodeHeartRateMeasurement(hex('08 48 32'))).toThrow(/energy expended/);
    expect(() => decodeHeartRateMeasurement(hex('10 48'))).toThrow(/RR interval needs 2 byte/);
    expect(() => decodeHeartRateMeasurement(hex('10 48 00 04 00'))).toThrow(/RR interval needs 2 byte/);
  });
});
