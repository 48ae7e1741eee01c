// Decodes the Blood Pressure Measurement characteristic (0x2A35, service 0x1810).
import type { MedicalFloat } from './ieee11073Float.ts';
import { flag, GattReader, type CharacteristicValue, type GattDateTime } from './gattReader.ts';

export interface BloodPressureReading {
  kind: 'blood-pressure';
  unit: 'mmHg' | 'kPa';
  systolic: MedicalFloat;
  diastolic: MedicalFloat;
  meanArterialPressure: MedicalFloat;
  timestamp?: GattDateTime;
  /** Pulse rate in beats per minute. */
  pulseRate?: MedicalFloat;
  userId?: number;
  /** Measurement status bits (body movement, cuff fit, irregular pulse, pulse range, position). */
  measurementStatus?: number;
}

export function decodeBloodPressureMeasurement(value: CharacteristicValue): BloodPressureReading {
  const reader = new GattReader(value, 'blood pressure measurement 0x2A35');
  const flags = reader.uint8('flags');
  const reading: BloodPressureReading = {
    kind: 'blood-pressure',
    unit: flag(flags, 0) ? 'kPa' : 'mmHg',
    systolic: reader.sfloat('systolic'),
    diastolic: reader.sfloat('diastolic'),
    meanArterialPressure: reader.sfloat('mean arterial pressure'),
  };
  if (flag(flags, 1)) reading.timestamp = reader.dateTime('timestamp');
  if (flag(flags, 2)) reading.pulseRate = reader.sfloat('pulse rate');
  if (flag(flags, 3)) reading.userId = reader.uint8('user id');
  if (flag(flags, 4)) reading.measurementStatus = reader.uint16('measurement status');
  return reading;
}
