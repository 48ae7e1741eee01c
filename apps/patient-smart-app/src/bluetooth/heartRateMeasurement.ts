// Decodes the Heart Rate Measurement characteristic (0x2A37, service 0x180D).
import { flag, GattReader, type CharacteristicValue } from './gattReader.ts';

export type SensorContact = 'not-supported' | 'not-detected' | 'detected';

export interface HeartRateReading {
  kind: 'heart-rate';
  /** Beats per minute (an integer: this characteristic has no special values). */
  heartRate: number;
  sensorContact: SensorContact;
  /** Energy expended since the last reset, kJ. */
  energyExpended?: number;
  /** RR intervals in seconds (sent in units of 1/1024 s), oldest first. */
  rrIntervals: number[];
}

export function decodeHeartRateMeasurement(value: CharacteristicValue): HeartRateReading {
  const reader = new GattReader(value, 'heart rate measurement 0x2A37');
  const flags = reader.uint8('flags');
  const heartRate = flag(flags, 0) ? reader.uint16('heart rate (uint16)') : reader.uint8('heart rate (uint8)');
  const contactBits = (flags >> 1) & 0b11;
  const reading: HeartRateReading = {
    kind: 'heart-rate',
    heartRate,
    sensorContact: contactBits === 3 ? 'detected' : contactBits === 2 ? 'not-detected' : 'not-supported',
    rrIntervals: [],
  };
  if (flag(flags, 3)) reading.energyExpended = reader.uint16('energy expended');
  if (flag(flags, 4)) {
    // At least one interval when the flag is set; an odd trailing byte is a truncated interval.
    do {
      reading.rrIntervals.push(reader.uint16('RR interval') / 1024);
    } while (reader.remaining() > 0);
  }
  return reading;
}
