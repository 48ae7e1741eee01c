// Test helpers for the accounts module: a pool on the test database, real FHIR resources to link accounts to.
import crypto from 'node:crypto';
import type { Resource } from '@medplum/fhirtypes';
import { afterAll } from 'vitest';
import { loadFhirDefinitions } from '../fhir/definitions.ts';
import { createPool, type Db } from '../db/pool.ts';
import { PostgresRepository } from '../fhir/repository/postgresRepository.ts';

/** A small pool on the test run's database, ended after the calling test file. */
export function useTestPool(): Db {
  const url = process.env.RPM_TEST_DATABASE_URL;
  if (!url) {
    throw new Error('RPM_TEST_DATABASE_URL is not set: run tests through vitest (its globalSetup creates it)');
  }
  const pool = createPool(url, 8);
  afterAll(() => pool.end());
  return pool;
}

/** An email address no other test uses. */
export function uniqueEmail(prefix = 'person'): string {
  return `${prefix}.${crypto.randomBytes(6).toString('hex')}@example.org`;
}

/** Creates a real FHIR resource of the type and returns its reference ('Practitioner/<id>'). */
export async function createFhirUser(
  pool: Db,
  resourceType: 'Practitioner' | 'Patient' | 'RelatedPerson'
): Promise<string> {
  loadFhirDefinitions();
  const repo = new PostgresRepository(pool, { fhirBaseUrl: 'http://localhost/fhir/R4' });
  let resource: Resource = { resourceType, active: true } as Resource;
  if (resourceType === 'RelatedPerson') {
    const patient = await createFhirUser(pool, 'Patient');
    resource = { resourceType, active: true, patient: { reference: patient } };
  }
  const saved = await repo.createResource(resource);
  return `${saved.resourceType}/${saved.id}`;
}
