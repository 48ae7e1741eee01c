// Blood pressure measurement 0x2A35: the worked vector, units, optional fields, special values, truncation.
import { describe, expect, test } from 'vitest';
import { decodeBloodPressureMeasurement } from './bloodPressureMeasurement.ts';
import { GattDecodeError } from './gattReader.ts';
import { hex } from './testBytes.ts';

const VECTOR = '1E 8A 00 58 00 78 00 00 00 04 11 14 29 3B 3C 00 01 27 00';

describe('decodeBloodPressureMeasurement', () => {
  test("RPM-REFERENCE.md's vector: 138/88 mmHg, MAP 120, year unknown, pulse 60, user 1, status 0x0027", () => {
    expect(decodeBloodPressureMeasurement(hex(VECTOR))).toEqual({
      kind: 'blood-pressure',
      unit: 'mmHg',
      systolic: { kind: 'number', value: 138 },
      diastolic: { kind: 'number', value: 88 },
      meanArterialPressure: { kind: 'number', value: 120 },
      timestamp: { month: 4, day: 17, hours: 20, minutes: 41, seconds: 59 },
      pulseRate: { kind: 'number', value: 60 },
      userId: 1,
      measurementStatus: 0x0027,
    });
  });

  test('a DataView (what Web Bluetooth gives) decodes the same, also at an offset in a larger buffer', () => {
    const bytes = hex(`FF FF ${VECTOR}`);
    const view = new DataView(bytes.buffer, 2);
    expect(decodeBloodPressureMeasurement(view)).toEqual(decodeBloodPressureMeasurement(hex(VECTOR)));
  });

  test('no optional fields, kPa', () => {
    const reading = decodeBloodPressureMeasurement(hex('01 70 F0 50 F0 60 F0'));
    expect(reading).toEqual({
      kind: 'blood-pressure',
      unit: 'kPa',
      systolic: { kind: 'number', value: 11.2 },
      diastolic: { kind: 'number', value: 8 },
      meanArterialPressure: { kind: 'number', value: 9.6 },
    });
  });

  test('pulse without a timestamp: fields shift up', () => {
    const reading = decodeBloodPressureMeasurement(hex('04 78 00 50 00 5A 00 48 00'));
    expect(reading.timestamp).toBeUndefined();
    expect(reading.pulseRate).toEqual({ kind: 'number', value: 72 });
  });

  test('a cuff that could not measure MAP sends NaN: a special value', () => {
    const reading = decodeBloodPressureMeasurement(hex('00 78 00 50 00 FF 07'));
    expect(reading.meanArterialPressure).toEqual({ kind: 'special', special: 'nan' });
  });

  test('truncated values give a clear error naming the missing field', () => {
    expect(() => decodeBloodPressureMeasurement(hex('1E 8A 00 58'))).toThrow(GattDecodeError);
    expect(() => decodeBloodPressureMeasurement(hex('1E 8A 00 58'))).toThrow(/0x2A35.*diastolic needs 2 byte/);
    expect(() => decodeBloodPressureMeasurement(hex(VECTOR).slice(0, 17))).toThrow(/measurement status/);
    expect(() => decodeBloodPressureMeasurement(new Uint8Array())).toThrow(/flags needs 1 byte/);
  });

  test('an impossible timestamp is refused rather than decoded', () => {
    expect(() => decodeBloodPressureMeasurement(hex('02 78 00 50 00 5A 00 E8 07 0D 01 00 00 00'))).toThrow(
      /timestamp is not a valid date-time/
    );
  });
});
