// Reads the stored versions a resource-changed job names, and the version before one (for FHIRPath criteria).
import type { Resource } from '@medplum/fhirtypes';
import type { Queryable } from '../db/pool.ts';

/** One stored version: [resourceType, id, versionId, interaction], as job payloads carry it. */
export type ResourceChange = [string, string, string, string];

/** The content of each named version, keyed "Type/id/versionId"; one query for the whole job. */
export async function loadVersions(db: Queryable, changes: ResourceChange[]): Promise<Map<string, Resource>> {
  const { rows } = await db.query(
    `SELECT h.resource_type, h.id, h.version_id, h.content
     FROM resource_history h
     JOIN unnest($1::text[], $2::text[], $3::text[]) AS v(resource_type, id, version_id)
       ON h.resource_type = v.resource_type AND h.id = v.id AND h.version_id = v.version_id`,
    [changes.map((c) => c[0]), changes.map((c) => c[1]), changes.map((c) => c[2])]
  );
  return new Map(rows.map((r) => [`${r.resource_type}/${r.id}/${r.version_id}`, JSON.parse(r.content) as Resource]));
}

/** The version stored just before versionId, or undefined for the first. */
export async function loadPreviousVersion(
  db: Queryable,
  resourceType: string,
  id: string,
  versionId: string
): Promise<Resource | undefined> {
  const { rows } = await db.query(
    `SELECT content FROM resource_history WHERE resource_type = $1 AND id = $2 AND version_id < $3
     ORDER BY version_id DESC LIMIT 1`,
    [resourceType, id, versionId]
  );
  return rows[0] ? (JSON.parse(rows[0].content) as Resource) : undefined;
}
