// Loading fhir/profiles and fhir/valueSets: registration for validation, upsert with stable ids, no new versions on restart.
import { mkdtempSync, readFileSync, writeFileSync, cpSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { isProfileLoaded } from '@medplum/core';
import { MemoryRepository } from '@medplum/fhir-router';
import type { ValueSet } from '@medplum/fhirtypes';
import { REPO_ROOT } from '../../config.ts';
import { getProfile, getValueSet, loadConformanceResources, readConformanceResources } from './loadConformance.ts';
import { RPM_VITAL_SIGN, RPM_VITAL_SIGNS_VS } from './testConformance.ts';

function copyOfFhirFolders() {
  const root = mkdtempSync(path.join(os.tmpdir(), 'rpm-conformance-'));
  cpSync(path.join(REPO_ROOT, 'fhir'), root, { recursive: true });
  return { profilesDir: path.join(root, 'profiles'), valueSetsDir: path.join(root, 'valueSets') };
}

describe('loadConformanceResources', () => {
  test('registers profiles and value sets, indexes profiles into @medplum/core, and stores them by their own ids', async () => {
    const repo = new MemoryRepository();
    await loadConformanceResources(repo);
    expect(getProfile(RPM_VITAL_SIGN)?.snapshot?.element.length).toBeGreaterThan(50);
    expect(getValueSet(RPM_VITAL_SIGNS_VS)?.id).toBe('rpm-vital-signs');
    expect(isProfileLoaded(RPM_VITAL_SIGN)).toBe(true);
    const stored = await repo.readResource('StructureDefinition', 'rpm-vital-sign');
    expect(stored).toMatchObject({ url: RPM_VITAL_SIGN });
    for (const resource of readConformanceResources()) {
      expect(await repo.readResource(resource.resourceType, resource.id as string)).toMatchObject({
        url: resource.url,
      });
    }
  });

  test('a restart writes nothing new; a changed file writes one new version', async () => {
    const dirs = copyOfFhirFolders();
    const repo = new MemoryRepository();
    await loadConformanceResources(repo, dirs);
    await loadConformanceResources(repo, dirs);
    expect((await repo.readHistory('ValueSet', 'rpm-vital-signs')).entry).toHaveLength(1);
    expect((await repo.readHistory('StructureDefinition', 'rpm-vital-sign')).entry).toHaveLength(1);

    const file = path.join(dirs.valueSetsDir, 'rpm-vital-signs.json');
    const valueSet = JSON.parse(readFileSync(file, 'utf8')) as ValueSet;
    writeFileSync(file, JSON.stringify({ ...valueSet, title: 'Changed title' }));
    await loadConformanceResources(repo, dirs);
    expect((await repo.readHistory('ValueSet', 'rpm-vital-signs')).entry).toHaveLength(2);
    expect(await repo.readResource('ValueSet', 'rpm-vital-signs')).toMatchObject({ title: 'Changed title' });
    expect(getValueSet(RPM_VITAL_SIGNS_VS)?.title).toBe('Changed title');
    await loadConformanceResources(repo);
  });

  test('refuses a file without id, of the wrong type, or a profile without snapshot', async () => {
    const dirs = copyOfFhirFolders();
    const file = path.join(dirs.valueSetsDir, 'broken.json');
    writeFileSync(file, JSON.stringify({ resourceType: 'ValueSet', url: 'http://x', status: 'active' }));
    await expect(loadConformanceResources(new MemoryRepository(), dirs)).rejects.toThrow(/needs a valid id/);
    writeFileSync(file, JSON.stringify({ resourceType: 'Patient', id: 'p' }));
    await expect(loadConformanceResources(new MemoryRepository(), dirs)).rejects.toThrow(
      /expected ValueSet or CodeSystem/
    );
    writeFileSync(
      file,
      JSON.stringify({ resourceType: 'CodeSystem', id: 'cs', url: 'http://x', status: 'active', content: 'complete' })
    );
    const profile = JSON.parse(readFileSync(path.join(dirs.profilesDir, 'rpm-vital-sign.json'), 'utf8'));
    writeFileSync(
      path.join(dirs.profilesDir, 'rpm-vital-sign.json'),
      JSON.stringify({ ...profile, snapshot: undefined })
    );
    await expect(loadConformanceResources(new MemoryRepository(), dirs)).rejects.toThrow(/no snapshot/);
  });
});
