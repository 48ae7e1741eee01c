// Decodes the Temperature Measurement characteristic (0x2A1C, health thermometer service 0x1809).
import type { MedicalFloat } from './ieee11073Float.ts';
import { flag, GattReader, type CharacteristicValue, type GattDateTime } from './gattReader.ts';

/** Temperature Type (0x2A1D) values 1–9; anything else is reserved. */
export const TEMPERATURE_SITES: Readonly<Record<number, string>> = {
  1: 'Armpit',
  2: 'Body (general)',
  3: 'Ear (usually earlobe)',
  4: 'Finger',
  5: 'Gastro-intestinal tract',
  6: 'Mouth',
  7: 'Rectum',
  8: 'Toe',
  9: 'Tympanum (ear drum)',
};

export interface TemperatureReading {
  kind: 'temperature';
  unit: 'Cel' | '[degF]';
  temperature: MedicalFloat;
  timestamp?: GattDateTime;
  /** Temperature Type code (see TEMPERATURE_SITES). */
  temperatureType?: number;
}

export function decodeTemperatureMeasurement(value: CharacteristicValue): TemperatureReading {
  const reader = new GattReader(value, 'temperature measurement 0x2A1C');
  const flags = reader.uint8('flags');
  const reading: TemperatureReading = {
    kind: 'temperature',
    unit: flag(flags, 0) ? '[degF]' : 'Cel',
    temperature: reader.float('temperature'),
  };
  if (flag(flags, 1)) reading.timestamp = reader.dateTime('timestamp');
  if (flag(flags, 2)) reading.temperatureType = reader.uint8('temperature type');
  return reading;
}
