// Literal references between the resources the rules read and write.
import type { Observation, Patient, Reference } from '@medplum/fhirtypes';

/** A Patient resource (with an id) or a literal reference to one. */
export type PatientLike = Patient | Reference<Patient>;

/** "Patient/<id>" for a Patient resource or a literal Patient reference. */
export function patientReference(patient: PatientLike): string {
  if ('resourceType' in patient && patient.resourceType === 'Patient') {
    if (!patient.id) {
      throw new Error('The Patient must have an id');
    }
    return `Patient/${patient.id}`;
  }
  const reference = (patient as Reference<Patient>).reference;
  if (!reference?.startsWith('Patient/')) {
    throw new Error(`Expected a literal Patient reference, not ${reference}`);
  }
  return reference;
}

/** "Observation/<id>/_history/<versionId>" (or without the version when it has none): identifies exactly what was read. */
export function versionedReference(observation: Observation): string {
  if (!observation.id) {
    throw new Error('An Observation the rules use must have an id');
  }
  const version = observation.meta?.versionId;
  return version ? `Observation/${observation.id}/_history/${version}` : `Observation/${observation.id}`;
}
