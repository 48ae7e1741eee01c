// Decodes the Glucose Measurement characteristic (0x2A18, glucose service 0x1808).
import type { MedicalFloat } from './ieee11073Float.ts';
import { flag, GattReader, type CharacteristicValue, type GattDateTime } from './gattReader.ts';

export interface GlucoseReading {
  kind: 'glucose';
  sequenceNumber: number;
  baseTime: GattDateTime;
  /** Minutes to add to the base time. */
  timeOffsetMinutes?: number;
  /** Concentration converted to mg/dL (from kg/L) or mmol/L (from mol/L); absent when the device sent none. */
  concentration?: MedicalFloat;
  unit?: 'mg/dL' | 'mmol/L';
  /** Type nibble: 1 capillary whole blood, 2 capillary plasma, 3 venous whole blood, … */
  sampleType?: number;
  /** Location nibble: 1 finger, 2 alternate site test, 3 earlobe, 4 control solution, 15 not available. */
  sampleLocation?: number;
  sensorStatus?: number;
  /** A Glucose Measurement Context notification follows with the same sequence number. */
  contextFollows: boolean;
}

/** kg/L × 10⁵ = mg/dL; mol/L × 10³ = mmol/L. Rounded to drop binary noise (99 × 10⁻⁵ × 10⁵ is 99). */
function convert(value: MedicalFloat, factor: number): MedicalFloat {
  return value.kind === 'number' ? { kind: 'number', value: Number((value.value * factor).toPrecision(12)) } : value;
}

export function decodeGlucoseMeasurement(value: CharacteristicValue): GlucoseReading {
  const reader = new GattReader(value, 'glucose measurement 0x2A18');
  const flags = reader.uint8('flags');
  const reading: GlucoseReading = {
    kind: 'glucose',
    sequenceNumber: reader.uint16('sequence number'),
    baseTime: reader.dateTime('base time'),
    contextFollows: flag(flags, 4),
  };
  if (flag(flags, 0)) reading.timeOffsetMinutes = reader.sint16('time offset');
  if (flag(flags, 1)) {
    const molar = flag(flags, 2);
    reading.concentration = convert(reader.sfloat('concentration'), molar ? 1000 : 100_000);
    reading.unit = molar ? 'mmol/L' : 'mg/dL';
    const typeAndLocation = reader.uint8('type and sample location');
    reading.sampleType = typeAndLocation & 0x0f;
    reading.sampleLocation = typeAndLocation >> 4;
  }
  if (flag(flags, 3)) reading.sensorStatus = reader.uint16('sensor status annunciation');
  return reading;
}
