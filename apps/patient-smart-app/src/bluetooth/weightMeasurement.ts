// Decodes the Weight Measurement characteristic (0x2A9D, weight scale service 0x181D).
import { flag, GattReader, type CharacteristicValue, type GattDateTime } from './gattReader.ts';

/** 0xFFFF in the weight field: the scale could not measure. */
const MEASUREMENT_UNSUCCESSFUL = 0xffff;

export interface WeightReading {
  kind: 'weight';
  unit: 'kg' | '[lb_av]';
  /** Weight in `unit`; absent when the scale reported "measurement unsuccessful". */
  weight?: number;
  timestamp?: GattDateTime;
  userId?: number;
  /** Body mass index, kg/m². */
  bmi?: number;
  /** Height in metres (SI) or inches (imperial). */
  height?: number;
}

/** Rounds away the binary noise of the fixed resolutions (0.005 kg, 0.01 lb, 0.1, 0.001). */
function fixed(raw: number, resolution: number, decimals: number): number {
  return Number((raw * resolution).toFixed(decimals));
}

export function decodeWeightMeasurement(value: CharacteristicValue): WeightReading {
  const reader = new GattReader(value, 'weight measurement 0x2A9D');
  const flags = reader.uint8('flags');
  const imperial = flag(flags, 0);
  const raw = reader.uint16('weight');
  const reading: WeightReading = { kind: 'weight', unit: imperial ? '[lb_av]' : 'kg' };
  if (raw !== MEASUREMENT_UNSUCCESSFUL) {
    reading.weight = imperial ? fixed(raw, 0.01, 2) : fixed(raw, 0.005, 3);
  }
  if (flag(flags, 1)) reading.timestamp = reader.dateTime('timestamp');
  if (flag(flags, 2)) reading.userId = reader.uint8('user id');
  if (flag(flags, 3)) {
    reading.bmi = fixed(reader.uint16('BMI'), 0.1, 1);
    const height = reader.uint16('height');
    reading.height = imperial ? fixed(height, 0.1, 1) : fixed(height, 0.001, 3);
  }
  return reading;
}
