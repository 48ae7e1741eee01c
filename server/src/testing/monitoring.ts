// Test and bench helper: a patient enrolled in an example monitoring programme, and vital-sign readings for them.
import crypto from 'node:crypto';
import type { MedplumClient } from '@medplum/core';
import type { CarePlan, Observation, Patient, PlanDefinition } from '@medplum/fhirtypes';
import { readExample } from '../../../bots/src/testing/examples.ts';

export type Programme = 'heart-failure' | 'respiratory-virtual-ward';

/** The example programme PlanDefinition, stored under its example id (the same for every caller). */
export async function ensureProgramme(medplum: MedplumClient, programme: Programme): Promise<PlanDefinition> {
  return medplum.updateResource(readExample<PlanDefinition>(`rpm-threshold-programme-${programme}`));
}

/** A new Patient with an active monitoring CarePlan of the programme (the example's, without its Goal overrides). */
export async function enrolPatient(
  medplum: MedplumClient,
  programme: Programme = 'heart-failure'
): Promise<{ patient: Patient & { id: string }; carePlan: CarePlan }> {
  const patient = (await medplum.createResource<Patient>({
    resourceType: 'Patient',
    name: [{ family: `Test-${crypto.randomUUID().slice(0, 8)}`, given: ['Pat'] }],
  })) as Patient & { id: string };
  const { id: _id, goal: _goal, ...example } = readExample<CarePlan>(`rpm-monitoring-careplan-${programme}`);
  const carePlan = await medplum.createResource<CarePlan>({
    ...example,
    subject: { reference: `Patient/${patient.id}` },
    author: undefined,
    period: { start: new Date(Date.now() - 86_400_000).toISOString() },
  });
  return { patient, carePlan };
}

const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';

/** An SpO2 reading (LOINC 2708-6, %) of the patient, taken now unless given. */
export function spo2Reading(patientId: string, percent: number, at = new Date()): Observation {
  return {
    resourceType: 'Observation',
    status: 'final',
    category: [
      { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] },
    ],
    code: { coding: [{ system: LOINC, code: '2708-6', display: 'Oxygen saturation in Arterial blood' }] },
    subject: { reference: `Patient/${patientId}` },
    effectiveDateTime: at.toISOString(),
    valueQuantity: { value: percent, unit: '%', system: UCUM, code: '%' },
  };
}
