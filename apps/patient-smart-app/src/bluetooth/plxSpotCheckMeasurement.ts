// Decodes the PLX Spot-check Measurement characteristic (0x2A5E, pulse oximeter service 0x1822).
import type { MedicalFloat } from './ieee11073Float.ts';
import { flag, GattReader, type CharacteristicValue, type GattDateTime } from './gattReader.ts';

export interface PulseOximetryReading {
  kind: 'pulse-oximetry';
  /** SpO2, percent. */
  spo2: MedicalFloat;
  /** Pulse rate, beats per minute. */
  pulseRate: MedicalFloat;
  timestamp?: GattDateTime;
  measurementStatus?: number;
  deviceAndSensorStatus?: number;
  /** Pulse amplitude index, percent. */
  pulseAmplitudeIndex?: MedicalFloat;
}

export function decodePlxSpotCheckMeasurement(value: CharacteristicValue): PulseOximetryReading {
  const reader = new GattReader(value, 'PLX spot-check measurement 0x2A5E');
  const flags = reader.uint8('flags');
  const reading: PulseOximetryReading = {
    kind: 'pulse-oximetry',
    spo2: reader.sfloat('SpO2'),
    pulseRate: reader.sfloat('pulse rate'),
  };
  if (flag(flags, 0)) reading.timestamp = reader.dateTime('timestamp');
  if (flag(flags, 1)) reading.measurementStatus = reader.uint16('measurement status');
  if (flag(flags, 2)) reading.deviceAndSensorStatus = reader.uint24('device and sensor status');
  if (flag(flags, 3)) reading.pulseAmplitudeIndex = reader.sfloat('pulse amplitude index');
  return reading;
}
