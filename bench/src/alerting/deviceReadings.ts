// The readings the simulated devices post: mostly normal vital signs, and a share of red SpO2 readings (one per patient).
import type { Observation } from '@medplum/fhirtypes';
import { oximeterObservations } from '../simulator/deviceReadings.ts';

/**
 * A normal reading under the heart-failure programme's thresholds: heart rate 72/min or SpO2 97 %, alternating; made by
 * the device simulator's mapping (bench/src/simulator/deviceReadings.ts), so the benchmark posts what devices post.
 */
export function normalReading(patientId: string, sequence: number, at: Date): Observation {
  const reading = oximeterObservations(97, 72, at, `Patient/${patientId}`);
  return sequence % 2 === 0 ? reading.pulseRate : reading.spo2;
}

/** SpO2 84 %: red under every programme (NEWS2 chart 1 scores 3 for SpO2 <= 91 % on scale 1). */
export function redReading(patientId: string, at: Date): Observation {
  return oximeterObservations(84, 72, at, `Patient/${patientId}`).spo2;
}
