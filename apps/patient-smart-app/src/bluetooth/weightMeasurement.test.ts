// Weight measurement 0x2A9D: SI and imperial resolutions, BMI and height, "measurement unsuccessful", truncation.
import { describe, expect, test } from 'vitest';
import { hex } from './testBytes.ts';
import { decodeWeightMeasurement } from './weightMeasurement.ts';

describe('decodeWeightMeasurement', () => {
  test('SI with timestamp, user, BMI and height: 72.5 kg, BMI 23.7, 1.750 m', () => {
    // 72.5 / 0.005 = 14500 = 0x38A4; BMI 237 = 0x00ED; height 1750 = 0x06D6
    expect(decodeWeightMeasurement(hex('0E A4 38 E8 07 03 0F 07 1E 00 02 ED 00 D6 06'))).toEqual({
      kind: 'weight',
      unit: 'kg',
      weight: 72.5,
      timestamp: { year: 2024, month: 3, day: 15, hours: 7, minutes: 30, seconds: 0 },
      userId: 2,
      bmi: 23.7,
      height: 1.75,
    });
  });

  test('imperial: 0.01 lb resolution and height in 0.1 inch', () => {
    // 160.25 lb = 16025 = 0x3E99; height 69.0 in = 690 = 0x02B2
    expect(decodeWeightMeasurement(hex('09 99 3E ED 00 B2 02'))).toEqual({
      kind: 'weight',
      unit: '[lb_av]',
      weight: 160.25,
      bmi: 23.7,
      height: 69,
    });
  });

  test('0xFFFF is "measurement unsuccessful": no weight, never 327.675 kg', () => {
    const reading = decodeWeightMeasurement(hex('00 FF FF'));
    expect(reading.weight).toBeUndefined();
  });

  test('truncated weight and truncated height', () => {
    expect(() => decodeWeightMeasurement(hex('00 A4'))).toThrow(/0x2A9D.*weight needs 2 byte/);
    expect(() => decodeWeightMeasurement(hex('08 A4 38 ED 00'))).toThrow(/height needs 2 byte/);
  });
});
