// The readings the simulated devices post: mostly normal vital signs, and a share of red SpO2 readings (one per patient).
import type { Observation } from '@medplum/fhirtypes';

const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';
const VITAL_SIGNS = [
  { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] },
];

/** A normal reading under the heart-failure programme's thresholds: heart rate 72/min or SpO2 97 %, alternating. */
export function normalReading(patientId: string, sequence: number, at: Date): Observation {
  const heartRate = sequence % 2 === 0;
  return {
    resourceType: 'Observation',
    status: 'final',
    category: VITAL_SIGNS,
    code: { coding: [{ system: LOINC, code: heartRate ? '8867-4' : '2708-6' }] },
    subject: { reference: `Patient/${patientId}` },
    effectiveDateTime: at.toISOString(),
    valueQuantity: heartRate
      ? { value: 72, unit: '/min', system: UCUM, code: '/min' }
      : { value: 97, unit: '%', system: UCUM, code: '%' },
  };
}

/** SpO2 84 %: red under every programme (NEWS2 chart 1 scores 3 for SpO2 <= 91 % on scale 1). */
export function redReading(patientId: string, at: Date): Observation {
  return {
    resourceType: 'Observation',
    status: 'final',
    category: VITAL_SIGNS,
    code: { coding: [{ system: LOINC, code: '2708-6' }] },
    subject: { reference: `Patient/${patientId}` },
    effectiveDateTime: at.toISOString(),
    valueQuantity: { value: 84, unit: '%', system: UCUM, code: '%' },
  };
}
