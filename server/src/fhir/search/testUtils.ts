// Test helpers for search: a pool on the test database and a writer of resources with their index rows.
import crypto from 'node:crypto';
import type { WithId } from '@medplum/core';
import type { FhirRepository } from '@medplum/fhir-router';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { createPool, type Db } from '../../db/pool.ts';
import { loadFhirDefinitions } from '../definitions.ts';
import { executeSearch } from './execute.ts';
import { buildSearchIndexRows } from './indexRows.ts';
import { parseSearchQuery } from './parseQuery.ts';
import type { Queryable, SearchContext } from './types.ts';
import { deleteSearchIndexRows, insertSearchIndexRows } from './writeRows.ts';

export const BASE_URL = 'http://localhost:8103/fhir/R4';
export const LENIENT: SearchContext = { fhirBaseUrl: BASE_URL, strict: false };
export const STRICT: SearchContext = { fhirBaseUrl: BASE_URL, strict: true };

export function testPool(url = process.env.RPM_TEST_DATABASE_URL as string): Db {
  loadFhirDefinitions();
  return createPool(url, 4);
}

export const uid = (): string => crypto.randomUUID();

/** Writes resources (current version) and their index rows, as the repository does in a transaction. */
export async function writeResources(
  db: Queryable,
  resources: Resource[],
  options?: { deleted?: boolean; lastUpdated?: string }
): Promise<WithId<Resource>[]> {
  const written = resources.map((r) => {
    const id = r.id ?? uid();
    const lastUpdated = options?.lastUpdated ?? r.meta?.lastUpdated ?? new Date().toISOString();
    return { ...r, id, meta: { ...r.meta, versionId: '1', lastUpdated } } as WithId<Resource>;
  });
  await db.query(
    `INSERT INTO resource (resource_type, id, version_id, last_updated, deleted, content)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::bool[], $6::text[])`,
    [
      written.map((r) => r.resourceType),
      written.map((r) => r.id),
      written.map(() => '1'),
      written.map((r) => r.meta?.lastUpdated),
      written.map(() => options?.deleted ?? false),
      written.map((r) => JSON.stringify(r)),
    ]
  );
  await insertSearchIndexRows(db, written.map(buildSearchIndexRows));
  return written;
}

/** Marks a resource deleted and removes its index rows, as the repository does on delete. */
export async function deleteResource(db: Queryable, resourceType: string, id: string): Promise<void> {
  await db.query('UPDATE resource SET deleted = true WHERE resource_type = $1 AND id = $2', [resourceType, id]);
  await deleteSearchIndexRows(db, resourceType, [id]);
}

/** A stand-in for the repository argument: executeSearch resolves everything itself. */
export const NO_REPO = undefined as unknown as FhirRepository;

/** Parses and executes an HTTP-style query string. */
export async function search(
  db: Queryable,
  resourceType: string,
  query: string,
  context: SearchContext = STRICT
): Promise<Bundle<WithId<Resource>>> {
  const params: Record<string, string[]> = {};
  for (const [k, v] of new URLSearchParams(query)) {
    (params[k] ??= []).push(v);
  }
  return executeSearch(NO_REPO, db, parseSearchQuery(resourceType, params), context);
}

/** The ids of the match entries, in order. */
export function matchIds(bundle: Bundle): string[] {
  return (bundle.entry ?? []).filter((e) => e.search?.mode === 'match').map((e) => e.resource?.id as string);
}
