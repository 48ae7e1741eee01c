// History of resources (instance, type and system level) as FHIR history Bundles, newest first.
import { badRequest, OperationOutcomeError } from '@medplum/core';
import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';
import type { Queryable } from '../../db/pool.ts';
import { SqlParams } from '../search/sql.ts';

export interface HistoryQuery {
  resourceType?: string;
  id?: string;
  /** Only versions written at or after this instant (`_since`). */
  since?: string;
  /** Only versions written before this instant (`_before`, an extension many servers support). */
  before?: string;
  count: number;
  offset: number;
}

export const DEFAULT_HISTORY_COUNT = 100;
export const MAX_HISTORY_COUNT = 1000;

const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

function readInstant(name: string, value: unknown): string | undefined {
  if (value === undefined) {
    return undefined;
  }
  if (typeof value !== 'string' || !INSTANT.test(value) || Number.isNaN(Date.parse(value))) {
    throw new OperationOutcomeError(
      badRequest(`${name} must be an instant with a time zone, e.g. 2024-01-31T12:00:00Z`, name)
    );
  }
  return value;
}

function readCount(name: string, value: unknown, fallback: number, max: number): number {
  if (value === undefined) {
    return fallback;
  }
  const n = Number(value);
  if (typeof value !== 'string' || !/^\d+$/.test(value) || n > max) {
    throw new OperationOutcomeError(badRequest(`${name} must be a whole number from 0 to ${max}`, name));
  }
  return n;
}

/** Reads `_since`, `_before`, `_count` and `_offset` from a history request's query. */
export function parseHistoryQuery(
  query: Record<string, unknown>,
  scope: { resourceType?: string; id?: string }
): HistoryQuery {
  const single = (v: unknown): unknown => (Array.isArray(v) ? v.at(-1) : v);
  return {
    ...scope,
    since: readInstant('_since', single(query._since)),
    before: readInstant('_before', single(query._before)),
    count: readCount('_count', single(query._count), DEFAULT_HISTORY_COUNT, MAX_HISTORY_COUNT),
    offset: readCount('_offset', single(query._offset), 0, Number.MAX_SAFE_INTEGER),
  };
}

/** SQL boolean on the history row aliased `h`: which rows the caller may see (see server/src/access). */
export type HistoryRowFilter = (p: SqlParams, h: string) => string;

/** Builds the history Bundle: one entry per version, deletions without a resource. */
export async function readHistoryBundle(
  db: Queryable,
  query: HistoryQuery,
  fhirBaseUrl: string,
  filter?: HistoryRowFilter
): Promise<Bundle> {
  const p = new SqlParams();
  const where: string[] = [];
  if (query.resourceType) {
    where.push(`h.resource_type = ${p.add(query.resourceType, 'text')}`);
  }
  if (query.id) {
    where.push(`h.id = ${p.add(query.id, 'text')}`);
  }
  if (query.since) {
    where.push(`h.last_updated >= ${p.add(query.since, 'timestamptz')}`);
  }
  if (query.before) {
    where.push(`h.last_updated < ${p.add(query.before, 'timestamptz')}`);
  }
  if (filter) {
    where.push(filter(p, 'h'));
  }
  const whereSql = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const result = await db.query(
    `SELECT h.resource_type, h.id, h.version_id, h.last_updated, h.operation, h.content FROM resource_history h ${whereSql}
     ORDER BY h.last_updated DESC, h.version_id DESC LIMIT ${p.add(query.count + 1, 'int8')} OFFSET ${p.add(query.offset, 'int8')}`,
    p.values
  );
  const rows = result.rows.slice(0, query.count);
  const hasMore = result.rows.length > query.count;
  const entry: BundleEntry[] = rows.map((row) => {
    const url = `${row.resource_type}/${row.id}`;
    const lastModified = new Date(row.last_updated).toISOString();
    if (row.operation === 'delete') {
      return {
        fullUrl: `${fhirBaseUrl}/${url}`,
        request: { method: 'DELETE', url },
        response: { status: '204', etag: `W/"${row.version_id}"`, lastModified },
      };
    }
    const resource = JSON.parse(row.content) as Resource;
    const created = row.operation === 'create';
    return {
      fullUrl: `${fhirBaseUrl}/${url}`,
      resource,
      request: created ? { method: 'POST', url: row.resource_type } : { method: 'PUT', url },
      response: { status: created ? '201' : '200', etag: `W/"${row.version_id}"`, lastModified },
    };
  });

  const path = [query.resourceType, query.id, '_history'].filter(Boolean).join('/');
  const link = (offset: number): string => {
    const params = new URLSearchParams();
    if (query.since) params.set('_since', query.since);
    if (query.before) params.set('_before', query.before);
    params.set('_count', String(query.count));
    params.set('_offset', String(offset));
    return `${fhirBaseUrl}/${path}?${params}`;
  };
  const links: Bundle['link'] = [{ relation: 'self', url: link(query.offset) }];
  if (hasMore) {
    links.push({ relation: 'next', url: link(query.offset + query.count) });
  }
  if (query.offset > 0) {
    links.push({ relation: 'previous', url: link(Math.max(0, query.offset - query.count)) });
  }
  return { resourceType: 'Bundle', type: 'history', link: links, entry };
}
