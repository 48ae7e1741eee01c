// The Patients whose compartments hold a resource, read from the same reference index rows that searches use.
import type { WithId } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import { buildSearchIndexRows } from '../fhir/search/index.ts';
import { compartmentRowParams } from './typeRules.ts';

const LOCAL_PATIENT = /^Patient\/([A-Za-z0-9\-.]{1,64})$/;

/** The Patient id of a reference to a Patient on this server ("Patient/x", or under fhirBaseUrl), if it is one. */
export function localPatientId(ref: string, fhirBaseUrl: string): string | undefined {
  const base = fhirBaseUrl.replace(/\/+$/, '') + '/';
  return LOCAL_PATIENT.exec(ref.startsWith(base) ? ref.slice(base.length) : ref)?.[1];
}

/** The stored reference forms that point to these Patients: relative, and absolute under this server's base. */
export function patientRefs(patientIds: Iterable<string>, fhirBaseUrl: string): string[] {
  const base = fhirBaseUrl.replace(/\/+$/, '');
  return [...patientIds].flatMap((id) => [`Patient/${id}`, `${base}/Patient/${id}`]);
}

/**
 * The ids of the Patients whose compartment holds the resource: a Patient is in its own; other types through the
 * reference params of their CompartmentDefinition entry (Observation: subject, performer). Foreign references
 * (other servers, contained, logical) place a resource in no compartment.
 */
export function compartmentPatients(resource: Resource, fhirBaseUrl: string): string[] {
  if (resource.resourceType === 'Patient') {
    return resource.id ? [resource.id] : [];
  }
  const params = compartmentRowParams(resource.resourceType);
  if (params.length === 0) {
    return [];
  }
  const rows = buildSearchIndexRows({ ...resource, id: resource.id ?? 'new' } as WithId<Resource>);
  const patients = new Set<string>();
  for (const row of rows.reference) {
    const id = params.includes(row.param) ? localPatientId(row.ref, fhirBaseUrl) : undefined;
    if (id) {
      patients.add(id);
    }
  }
  return [...patients];
}
