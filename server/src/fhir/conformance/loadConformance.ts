// Loads the project's profiles and value sets from fhir/ at start: registers them for validation and $expand, and upserts them.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { deepEquals, indexStructureDefinitionBundle, isGone, isNotFound, OperationOutcomeError } from '@medplum/core';
import type { FhirRepository } from '@medplum/fhir-router';
import type { Resource } from '@medplum/fhirtypes';
import { REPO_ROOT } from '../../config.ts';
import { loadFhirDefinitions } from '../definitions.ts';
import { registerConformanceResource } from './registry.ts';
import type { ConformanceResource } from './registry.ts';

export { getCodeSystem, getProfile, getProfiles, getValueSet } from './registry.ts';

export interface ConformanceDirectories {
  /** StructureDefinitions, one per top-level *.json file (examples/ is not loaded). Default: fhir/profiles. */
  profilesDir?: string;
  /** ValueSets and CodeSystems, one per *.json file. Default: fhir/valueSets. */
  valueSetsDir?: string;
}

const ID_PATTERN = /^[A-Za-z0-9\-.]{1,64}$/;

function readResources(dir: string, allowed: readonly string[]): ConformanceResource[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => {
      const file = path.join(dir, name);
      const resource = JSON.parse(readFileSync(file, 'utf8')) as ConformanceResource;
      if (!allowed.includes(resource.resourceType)) {
        throw new Error(`${file}: expected ${allowed.join(' or ')}, found ${resource.resourceType}`);
      }
      if (!resource.id || !ID_PATTERN.test(resource.id) || !resource.url) {
        throw new Error(`${file}: a conformance resource needs a valid id and a url`);
      }
      if (resource.resourceType === 'StructureDefinition' && !resource.snapshot?.element?.length) {
        throw new Error(`${file}: no snapshot; run server/src/fhir/conformance/profileSnapshots.ts`);
      }
      return resource;
    });
}

/** The project's conformance resources, read from the JSON files (profiles first, then value sets and code systems). */
export function readConformanceResources(dirs: ConformanceDirectories = {}): ConformanceResource[] {
  return [
    ...readResources(dirs.profilesDir ?? path.join(REPO_ROOT, 'fhir', 'profiles'), ['StructureDefinition']),
    ...readResources(dirs.valueSetsDir ?? path.join(REPO_ROOT, 'fhir', 'valueSets'), ['ValueSet', 'CodeSystem']),
  ];
}

function withoutMeta(resource: Resource): Resource {
  const { meta: _meta, ...rest } = resource;
  return rest as Resource;
}

async function readExisting(repo: FhirRepository, resource: ConformanceResource): Promise<Resource | undefined> {
  try {
    return await repo.readResource(resource.resourceType, resource.id as string);
  } catch (err) {
    if (err instanceof OperationOutcomeError && (isNotFound(err.outcome) || isGone(err.outcome))) {
      return undefined;
    }
    throw err;
  }
}

/**
 * Reads fhir/profiles and fhir/valueSets, registers the resources (profile and value set lookups, @medplum/core's
 * StructureDefinition index) and upserts each into `repo` under its own id; unchanged resources (ignoring meta)
 * are not written, so restarts create no new versions. Call once at start, before serving requests.
 */
export async function loadConformanceResources(repo: FhirRepository, dirs: ConformanceDirectories = {}): Promise<void> {
  loadFhirDefinitions();
  const resources = readConformanceResources(dirs);
  for (const resource of resources) {
    registerConformanceResource(resource);
  }
  const profiles = resources.filter((r) => r.resourceType === 'StructureDefinition');
  if (profiles.length) {
    indexStructureDefinitionBundle(profiles);
  }
  for (const resource of resources) {
    const existing = await readExisting(repo, resource);
    if (!existing || !deepEquals(withoutMeta(existing), withoutMeta(resource))) {
      await repo.updateResource(resource);
    }
  }
}
