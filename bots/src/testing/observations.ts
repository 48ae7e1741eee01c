// Test factories: FHIR R4 vital-sign Observations as a home device or the patient app would upload them.
import type { Observation, Quantity } from '@medplum/fhirtypes';
import { ACVPU_SNOMED, LOINC, LOINC_CODES, NEWS2_SNOMED, OBSERVATION_CATEGORY, SNOMED, UCUM } from '../fhir/codes.ts';
import type { Acvpu } from '../rules/news2/scoreNews2.ts';

export const PATIENT_ID = 'patient-1';
export const PATIENT_REFERENCE = `Patient/${PATIENT_ID}`;

let counter = 0;

/** Options shared by the factories. */
export interface ObservationOptions {
  id?: string;
  versionId?: string;
  status?: Observation['status'];
  patient?: string;
}

function base(code: Observation['code'], at: string, options: ObservationOptions): Observation {
  counter += 1;
  return {
    resourceType: 'Observation',
    id: options.id ?? `obs-${String(counter).padStart(4, '0')}`,
    meta: { versionId: options.versionId ?? '1' },
    status: options.status ?? 'final',
    category: [{ coding: [{ system: OBSERVATION_CATEGORY, code: 'vital-signs' }] }],
    code,
    subject: { reference: options.patient ?? PATIENT_REFERENCE },
    effectiveDateTime: at,
  };
}

export function quantity(value: number, unit: string): Quantity {
  return { value, unit, system: UCUM, code: unit };
}

/** A single-value vital sign, e.g. vital('8867-4', 72, '/min', '2025-03-01T09:00:00Z'). */
export function vital(
  loinc: string,
  value: number,
  unit: string,
  at: string,
  options: ObservationOptions = {}
): Observation {
  return { ...base({ coding: [{ system: LOINC, code: loinc }] }, at, options), valueQuantity: quantity(value, unit) };
}

export const respiratoryRate = (value: number, at: string, options?: ObservationOptions): Observation =>
  vital(LOINC_CODES.respiratoryRate, value, '/min', at, options);
export const spo2 = (value: number, at: string, options?: ObservationOptions): Observation =>
  vital(LOINC_CODES.spo2, value, '%', at, options);
export const pulse = (value: number, at: string, options?: ObservationOptions): Observation =>
  vital(LOINC_CODES.heartRate, value, '/min', at, options);
export const temperature = (value: number, at: string, options?: ObservationOptions, unit = 'Cel'): Observation =>
  vital(LOINC_CODES.bodyTemperature, value, unit, at, options);
export const weight = (value: number, at: string, options?: ObservationOptions, unit = 'kg'): Observation =>
  vital(LOINC_CODES.bodyWeight, value, unit, at, options);
export const oxygenFlow = (litresPerMinute: number, at: string, options?: ObservationOptions): Observation =>
  vital(LOINC_CODES.inhaledOxygenFlowRate, litresPerMinute, 'L/min', at, options);

/** A blood pressure panel 85354-9 with systolic and diastolic components. */
export function bloodPressure(systolic: number, diastolic: number, at: string, options: ObservationOptions = {}) {
  return {
    ...base({ coding: [{ system: LOINC, code: LOINC_CODES.bloodPressurePanel }] }, at, options),
    component: [
      {
        code: { coding: [{ system: LOINC, code: LOINC_CODES.systolic }] },
        valueQuantity: quantity(systolic, 'mm[Hg]'),
      },
      {
        code: { coding: [{ system: LOINC, code: LOINC_CODES.diastolic }] },
        valueQuantity: quantity(diastolic, 'mm[Hg]'),
      },
    ],
  } satisfies Observation;
}

/** An ACVPU observation (SNOMED 1104441000000107) as the patient app records it. */
export function acvpu(level: Acvpu, at: string, options: ObservationOptions = {}): Observation {
  const answer = ACVPU_SNOMED[level];
  return {
    ...base({ coding: [{ system: SNOMED, code: NEWS2_SNOMED.acvpuObservation }] }, at, options),
    category: [{ coding: [{ system: OBSERVATION_CATEGORY, code: 'survey' }] }],
    valueCodeableConcept: { coding: [{ system: SNOMED, code: answer.code, display: answer.display }] },
  };
}
