// SQL for the resource and resource_history tables: reading current versions and writing new ones in bulk.
import type { Resource } from '@medplum/fhirtypes';
import type { Queryable } from '../../db/pool.ts';
import { StatementBatch } from '../../db/statementBatch.ts';

/** One version of a resource as stored: the JSON text plus the columns queries need. */
export interface ResourceVersionRow {
  resourceType: string;
  id: string;
  versionId: string;
  lastUpdated: string;
  deleted: boolean;
  /** What produced this version; history tells creates, updates and deletes apart by it. */
  operation: 'create' | 'update' | 'delete';
  content: string;
}

export interface StoredResource {
  versionId: string;
  lastUpdated: string;
  deleted: boolean;
  content: string;
}

/** Reads the current row of one resource, optionally locking it for the rest of the transaction. */
export async function selectCurrentRow(
  db: Queryable,
  resourceType: string,
  id: string,
  forUpdate = false
): Promise<StoredResource | undefined> {
  const result = await db.query(
    `SELECT version_id, last_updated, deleted, content FROM resource WHERE resource_type = $1 AND id = $2${forUpdate ? ' FOR UPDATE' : ''}`,
    [resourceType, id]
  );
  const row = result.rows[0];
  return row ? toStored(row) : undefined;
}

/** Reads many current rows at once; the map is keyed by "Type/id". */
export async function selectCurrentRows(
  db: Queryable,
  keys: { resourceType: string; id: string }[]
): Promise<Map<string, StoredResource>> {
  const found = new Map<string, StoredResource>();
  if (keys.length === 0) {
    return found;
  }
  const result = await db.query(
    `SELECT r.resource_type, r.id, r.version_id, r.last_updated, r.deleted, r.content
       FROM resource r JOIN unnest($1::text[], $2::text[]) AS k(resource_type, id)
         ON r.resource_type = k.resource_type AND r.id = k.id`,
    [keys.map((k) => k.resourceType), keys.map((k) => k.id)]
  );
  for (const row of result.rows) {
    found.set(`${row.resource_type}/${row.id}`, toStored(row));
  }
  return found;
}

/**
 * Adds new versions to a batch: upserts the current row and appends to history, one statement per table however
 * many resources are written.
 */
export function addResourceVersionWrites(batch: StatementBatch, rows: ResourceVersionRow[]): void {
  if (rows.length === 0) {
    return;
  }
  if (rows.length === 1) {
    addOneVersionWrites(batch, rows[0]);
    return;
  }
  const types = rows.map((r) => r.resourceType);
  const ids = rows.map((r) => r.id);
  const versionIds = rows.map((r) => r.versionId);
  const lastUpdated = rows.map((r) => r.lastUpdated);
  const contents = rows.map((r) => r.content);
  batch.add(
    (n) => `INSERT INTO resource (resource_type, id, version_id, last_updated, deleted, content)
     SELECT * FROM unnest($${n}::text[], $${n + 1}::text[], $${n + 2}::text[], $${n + 3}::timestamptz[], $${n + 4}::boolean[], ${contentArray(n + 5, rows.length)})
     ${UPSERT_CURRENT}`,
    [types, ids, versionIds, lastUpdated, rows.map((r) => r.deleted), ...contentValues(contents)]
  );
  batch.add(
    (n) => `INSERT INTO resource_history (resource_type, id, version_id, last_updated, operation, content)
     SELECT * FROM unnest($${n}::text[], $${n + 1}::text[], $${n + 2}::text[], $${n + 3}::timestamptz[], $${n + 4}::text[], ${contentArray(n + 5, rows.length)})`,
    [types, ids, versionIds, lastUpdated, rows.map((r) => r.operation), ...contentValues(contents)]
  );
}

/**
 * The resources' JSON as an array of plain parameters ($n, $n+1, …), not one array parameter: node-postgres sends an
 * array as a text literal, escaping every quote of every element, which for grouped creates' contents was 2.4 % of the
 * server's main thread at 400 readings/s.
 */
function contentArray(first: number, count: number): string {
  if (count > MAX_PLAIN_CONTENTS) {
    return `$${first}::text[]`;
  }
  return `ARRAY[${Array.from({ length: count }, (_, i) => `$${first + i}`).join(', ')}]::text[]`;
}

/** The values contentArray's SQL takes. */
function contentValues(contents: string[]): unknown[] {
  return contents.length > MAX_PLAIN_CONTENTS ? [contents] : contents;
}

/**
 * Past this many resources in one write, their JSON goes as one array parameter after all: a statement takes at most
 * 65,535 parameters, and a bundle may hold more entries when RPM_MAX_BUNDLE_ENTRIES is raised.
 */
const MAX_PLAIN_CONTENTS = 5000;

const UPSERT_CURRENT = `ON CONFLICT (resource_type, id) DO UPDATE SET
       version_id = EXCLUDED.version_id, last_updated = EXCLUDED.last_updated,
       deleted = EXCLUDED.deleted, content = EXCLUDED.content`;

/**
 * One version (a device's single reading): plain parameters instead of arrays. node-postgres sends an array as text,
 * escaping every quote of every element, and the content went twice (current row and history); that escaping was 2 %
 * of the server's main thread at 500 readings/s.
 */
function addOneVersionWrites(batch: StatementBatch, row: ResourceVersionRow): void {
  const key = [row.resourceType, row.id, row.versionId, row.lastUpdated];
  batch.add(
    (n) => `INSERT INTO resource (resource_type, id, version_id, last_updated, deleted, content)
     VALUES ($${n}::text, $${n + 1}::text, $${n + 2}::text, $${n + 3}::timestamptz, $${n + 4}::boolean, $${n + 5}::text)
     ${UPSERT_CURRENT}`,
    [...key, row.deleted, row.content]
  );
  batch.add(
    (n) => `INSERT INTO resource_history (resource_type, id, version_id, last_updated, operation, content)
     VALUES ($${n}::text, $${n + 1}::text, $${n + 2}::text, $${n + 3}::timestamptz, $${n + 4}::text, $${n + 5}::text)`,
    [...key, row.operation, row.content]
  );
}

/** Writes new versions (current row and history) in one round trip. */
export async function writeResourceVersions(db: Queryable, rows: ResourceVersionRow[]): Promise<void> {
  const batch = new StatementBatch();
  addResourceVersionWrites(batch, rows);
  await batch.run(db);
}

/** Reads one historical version. */
export async function selectVersionRow(
  db: Queryable,
  resourceType: string,
  id: string,
  versionId: string
): Promise<StoredResource | undefined> {
  const result = await db.query(
    "SELECT version_id, last_updated, operation = 'delete' AS deleted, content FROM resource_history WHERE resource_type = $1 AND id = $2 AND version_id = $3",
    [resourceType, id, versionId]
  );
  const row = result.rows[0];
  return row ? toStored(row) : undefined;
}

function toStored(row: {
  version_id: string;
  last_updated: string;
  deleted: boolean;
  content: string;
}): StoredResource {
  return { versionId: row.version_id, lastUpdated: row.last_updated, deleted: row.deleted, content: row.content };
}

/** Parses stored JSON text; content is always written by us, so it is trusted. */
export function parseStored<T extends Resource>(content: string): T {
  return JSON.parse(content) as T;
}
