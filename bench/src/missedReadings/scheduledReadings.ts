// The heart-failure programme's four daily readings for one patient (weight, blood pressure, pulse, SpO2), all taken.
import type { Observation } from '@medplum/fhirtypes';

const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';
const VITAL_SIGNS = [
  { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] },
];

/** The LOINC codes the heart-failure CarePlan example schedules daily (fhir/profiles/examples). */
export const SCHEDULED_CODES = ['29463-7', '85354-9', '8867-4', '2708-6'] as const;

function reading(patientId: string, at: Date, code: string, rest: Partial<Observation>): Observation {
  return {
    resourceType: 'Observation',
    status: 'final',
    category: VITAL_SIGNS,
    code: { coding: [{ system: LOINC, code }] },
    subject: { reference: `Patient/${patientId}` },
    effectiveDateTime: at.toISOString(),
    ...rest,
  };
}

/** One normal reading of each scheduled kind, taken at `at`. */
export function dailyReadings(patientId: string, at: Date): Observation[] {
  const mmHg = (value: number) => ({ value, unit: 'mm[Hg]', system: UCUM, code: 'mm[Hg]' });
  return [
    reading(patientId, at, '29463-7', { valueQuantity: { value: 82.4, unit: 'kg', system: UCUM, code: 'kg' } }),
    reading(patientId, at, '85354-9', {
      component: [
        { code: { coding: [{ system: LOINC, code: '8480-6' }] }, valueQuantity: mmHg(124) },
        { code: { coding: [{ system: LOINC, code: '8462-4' }] }, valueQuantity: mmHg(78) },
      ],
    }),
    reading(patientId, at, '8867-4', { valueQuantity: { value: 72, unit: '/min', system: UCUM, code: '/min' } }),
    reading(patientId, at, '2708-6', { valueQuantity: { value: 97, unit: '%', system: UCUM, code: '%' } }),
  ];
}
