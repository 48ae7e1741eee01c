// PLX spot-check 0x2A5E and continuous 0x2A5F: the worked vector, optional fields, special values, truncation.
import { describe, expect, test } from 'vitest';
import { decodePlxContinuousMeasurement } from './plxContinuousMeasurement.ts';
import { decodePlxSpotCheckMeasurement } from './plxSpotCheckMeasurement.ts';
import { hex } from './testBytes.ts';

const VECTOR = '0F AC F3 BE F5 E8 07 0B 1D 17 08 39 20 40 22 00 00 66 E3';

describe('decodePlxSpotCheckMeasurement', () => {
  test("RPM-REFERENCE.md's vector: SpO2 94.0 %, pulse 147.0, 2024-11-29 23:08:57, statuses, PAI 8.70", () => {
    expect(decodePlxSpotCheckMeasurement(hex(VECTOR))).toEqual({
      kind: 'pulse-oximetry',
      spo2: { kind: 'number', value: 94 },
      pulseRate: { kind: 'number', value: 147 },
      timestamp: { year: 2024, month: 11, day: 29, hours: 23, minutes: 8, seconds: 57 },
      measurementStatus: 0x4020,
      deviceAndSensorStatus: 0x000022,
      pulseAmplitudeIndex: { kind: 'number', value: 8.7 },
    });
  });

  test('only the flags and the two values; SpO2 not at this resolution (NRes)', () => {
    expect(decodePlxSpotCheckMeasurement(hex('00 00 08 48 00'))).toEqual({
      kind: 'pulse-oximetry',
      spo2: { kind: 'special', special: 'nres' },
      pulseRate: { kind: 'number', value: 72 },
    });
  });

  test('device status without measurement status', () => {
    const reading = decodePlxSpotCheckMeasurement(hex('04 61 00 48 00 01 02 03'));
    expect(reading.measurementStatus).toBeUndefined();
    expect(reading.deviceAndSensorStatus).toBe(0x030201);
  });

  test('truncated inside the 24-bit device status and inside the PAI', () => {
    expect(() => decodePlxSpotCheckMeasurement(hex('04 61 00 48 00 01 02'))).toThrow(
      /0x2A5E.*device and sensor status needs 3 byte/
    );
    expect(() => decodePlxSpotCheckMeasurement(hex(VECTOR).slice(0, 18))).toThrow(/pulse amplitude index/);
  });
});

describe('decodePlxContinuousMeasurement', () => {
  test('normal, fast and slow values with statuses and PAI', () => {
    const reading = decodePlxContinuousMeasurement(hex('1F 61 00 48 00 60 00 49 00 62 00 47 00 20 40 22 00 00 66 E3'));
    expect(reading).toEqual({
      kind: 'pulse-oximetry',
      spo2: { kind: 'number', value: 97 },
      pulseRate: { kind: 'number', value: 72 },
      fast: { spo2: { kind: 'number', value: 96 }, pulseRate: { kind: 'number', value: 73 } },
      slow: { spo2: { kind: 'number', value: 98 }, pulseRate: { kind: 'number', value: 71 } },
      measurementStatus: 0x4020,
      deviceAndSensorStatus: 0x22,
      pulseAmplitudeIndex: { kind: 'number', value: 8.7 },
    });
  });

  test('normal values only; truncated fast values', () => {
    expect(decodePlxContinuousMeasurement(hex('00 61 00 48 00')).fast).toBeUndefined();
    expect(() => decodePlxContinuousMeasurement(hex('01 61 00 48 00 60 00'))).toThrow(/0x2A5F.*pulse rate \(fast\)/);
  });
});
