// Glucose measurement 0x2A18: RPM-REFERENCE.md's kg/L example, mol/L, time offset, status, context flag, truncation.
import { describe, expect, test } from 'vitest';
import { decodeGlucoseMeasurement } from './glucoseMeasurement.ts';
import { hex } from './testBytes.ts';

describe('decodeGlucoseMeasurement', () => {
  test('concentration SFLOAT 0xB063 in kg/L is 99 mg/dL; offset, capillary whole blood from a finger', () => {
    // flags 0x03: time offset + concentration (kg/L); sequence 7; 2024-05-01 08:15:00; offset -5 min; type 1, location 1
    expect(decodeGlucoseMeasurement(hex('03 07 00 E8 07 05 01 08 0F 00 FB FF 63 B0 11'))).toEqual({
      kind: 'glucose',
      sequenceNumber: 7,
      baseTime: { year: 2024, month: 5, day: 1, hours: 8, minutes: 15, seconds: 0 },
      timeOffsetMinutes: -5,
      concentration: { kind: 'number', value: 99 },
      unit: 'mg/dL',
      sampleType: 1,
      sampleLocation: 1,
      contextFollows: false,
    });
  });

  test('mol/L: 0.0055 mol/L is 5.5 mmol/L; sensor status and context flag', () => {
    // flags 0x1E: concentration, mol/L, status, context follows; SFLOAT 55 × 10⁻⁴ = 0xC037
    const reading = decodeGlucoseMeasurement(hex('1E 01 00 E8 07 05 01 08 0F 00 37 C0 12 01 00'));
    expect(reading.concentration).toEqual({ kind: 'number', value: 5.5 });
    expect(reading.unit).toBe('mmol/L');
    expect(reading.sampleType).toBe(2);
    expect(reading.sensorStatus).toBe(1);
    expect(reading.contextFollows).toBe(true);
  });

  test('no concentration: nothing measured; a special concentration stays special', () => {
    expect(decodeGlucoseMeasurement(hex('00 01 00 E8 07 05 01 08 0F 00')).concentration).toBeUndefined();
    expect(decodeGlucoseMeasurement(hex('02 01 00 E8 07 05 01 08 0F 00 FF 07 11')).concentration).toEqual({
      kind: 'special',
      special: 'nan',
    });
  });

  test('truncated base time and truncated type/location', () => {
    expect(() => decodeGlucoseMeasurement(hex('00 01 00 E8 07'))).toThrow(/0x2A18.*base time month needs 1 byte/);
    expect(() => decodeGlucoseMeasurement(hex('02 01 00 E8 07 05 01 08 0F 00 63 B0'))).toThrow(
      /type and sample location/
    );
  });
});
