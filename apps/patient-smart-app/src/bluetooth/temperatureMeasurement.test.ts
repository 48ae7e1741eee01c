// Temperature measurement 0x2A1C: the worked vector, Fahrenheit, special values, truncation.
import { describe, expect, test } from 'vitest';
import { hex } from './testBytes.ts';
import { decodeTemperatureMeasurement } from './temperatureMeasurement.ts';

describe('decodeTemperatureMeasurement', () => {
  test("RPM-REFERENCE.md's vector: 37.60 °C, 2012-12-05 11:50:27, type 4 (finger)", () => {
    expect(decodeTemperatureMeasurement(hex('06 B0 0E 00 FE DC 07 0C 05 0B 32 1B 04'))).toEqual({
      kind: 'temperature',
      unit: 'Cel',
      temperature: { kind: 'number', value: 37.6 },
      timestamp: { year: 2012, month: 12, day: 5, hours: 11, minutes: 50, seconds: 27 },
      temperatureType: 4,
    });
  });

  test('Fahrenheit without timestamp or type: 98.6 °F', () => {
    expect(decodeTemperatureMeasurement(hex('01 DA 03 00 FF'))).toEqual({
      kind: 'temperature',
      unit: '[degF]',
      temperature: { kind: 'number', value: 98.6 },
    });
  });

  test('type without timestamp; +INF and NaN stay special', () => {
    expect(decodeTemperatureMeasurement(hex('04 FE FF 7F 00 06'))).toEqual({
      kind: 'temperature',
      unit: 'Cel',
      temperature: { kind: 'special', special: 'positive-infinity' },
      temperatureType: 6,
    });
    expect(decodeTemperatureMeasurement(hex('00 FF FF 7F 00')).temperature).toEqual({
      kind: 'special',
      special: 'nan',
    });
  });

  test('truncated FLOAT and truncated timestamp', () => {
    expect(() => decodeTemperatureMeasurement(hex('00 B0 0E 00'))).toThrow(/0x2A1C.*temperature needs 4 byte/);
    expect(() => decodeTemperatureMeasurement(hex('02 B0 0E 00 FE DC 07 0C'))).toThrow(/timestamp day needs 1 byte/);
  });
});
