// Test helper: registers the project's conformance resources from fhir/ without a repository, and reads the examples.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Observation } from '@medplum/fhirtypes';
import { REPO_ROOT } from '../../config.ts';
import { loadFhirDefinitions } from '../definitions.ts';
import { readConformanceResources } from './loadConformance.ts';
import { registerConformanceResource } from './registry.ts';

export const RPM_VITAL_SIGN = 'http://rpm-platform.org/fhir/StructureDefinition/rpm-vital-sign';
export const RPM_VITAL_SIGNS_VS = 'http://rpm-platform.org/fhir/ValueSet/rpm-vital-signs';

/** Registers fhir/profiles and fhir/valueSets (idempotent). */
export function registerProjectConformance(): void {
  loadFhirDefinitions();
  for (const resource of readConformanceResources()) {
    registerConformanceResource(resource);
  }
}

/** A fresh copy of an example from fhir/profiles/examples. */
export function readExample(name: 'heart-rate' | 'blood-pressure'): Observation {
  const file = path.join(REPO_ROOT, 'fhir', 'profiles', 'examples', `rpm-vital-sign-${name}.json`);
  return JSON.parse(readFileSync(file, 'utf8')) as Observation;
}
