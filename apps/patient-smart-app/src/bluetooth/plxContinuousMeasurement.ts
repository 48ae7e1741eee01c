// Decodes the PLX Continuous Measurement characteristic (0x2A5F, pulse oximeter service 0x1822).
import type { MedicalFloat } from './ieee11073Float.ts';
import { flag, GattReader, type CharacteristicValue } from './gattReader.ts';
import type { PulseOximetryReading } from './plxSpotCheckMeasurement.ts';

/** SpO2 and pulse rate averaged over a shorter or longer window than the normal one. */
export interface SpO2PulseRate {
  spo2: MedicalFloat;
  pulseRate: MedicalFloat;
}

/** The normal-averaged values as a pulse-oximetry reading; the fast and slow ones beside it. */
export interface PulseOximetryContinuousReading extends PulseOximetryReading {
  fast?: SpO2PulseRate;
  slow?: SpO2PulseRate;
}

export function decodePlxContinuousMeasurement(value: CharacteristicValue): PulseOximetryContinuousReading {
  const reader = new GattReader(value, 'PLX continuous measurement 0x2A5F');
  const flags = reader.uint8('flags');
  const reading: PulseOximetryContinuousReading = {
    kind: 'pulse-oximetry',
    spo2: reader.sfloat('SpO2 (normal)'),
    pulseRate: reader.sfloat('pulse rate (normal)'),
  };
  if (flag(flags, 0))
    reading.fast = { spo2: reader.sfloat('SpO2 (fast)'), pulseRate: reader.sfloat('pulse rate (fast)') };
  if (flag(flags, 1))
    reading.slow = { spo2: reader.sfloat('SpO2 (slow)'), pulseRate: reader.sfloat('pulse rate (slow)') };
  if (flag(flags, 2)) reading.measurementStatus = reader.uint16('measurement status');
  if (flag(flags, 3)) reading.deviceAndSensorStatus = reader.uint24('device and sensor status');
  if (flag(flags, 4)) reading.pulseAmplitudeIndex = reader.sfloat('pulse amplitude index');
  return reading;
}
