// _include and _revinclude (incl. :iterate and target types), resolved from the reference index in SQL.
import { isResourceType, type IncludeTarget, type WithId } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import { getParamInfo, type ParamInfo } from './catalog.ts';
import type { Queryable } from './types.ts';
import { escapeLike } from './text.ts';
import { invalid } from './values.ts';

/** Most resources a search may include, and most :iterate rounds. */
export const MAX_INCLUDED = 1000;
const MAX_ITERATIONS = 4;

/** An include target checked against the definitions. */
export interface ResolvedInclude {
  target: IncludeTarget;
  info: ParamInfo;
}

/** Checks include targets: invalid ones throw 400 in strict mode, and are dropped (reported in `ignored`) in lenient mode. */
export function resolveIncludes(
  targets: IncludeTarget[] | undefined,
  strict: boolean,
  ignored: IncludeTarget[]
): ResolvedInclude[] {
  const resolved: ResolvedInclude[] = [];
  for (const target of targets ?? []) {
    const info = isResourceType(target.resourceType)
      ? getParamInfo(target.resourceType, target.searchParam)
      : undefined;
    const targetOk = !target.targetType || isResourceType(target.targetType);
    if (info && info.kind === 'reference' && !info.unsupported && targetOk) {
      resolved.push({ target, info });
    } else if (strict) {
      throw invalid(
        `Invalid include target '${target.resourceType}:${target.searchParam}${target.targetType ? ':' + target.targetType : ''}': not a reference search parameter`
      );
    } else {
      ignored.push(target);
    }
  }
  return resolved;
}

type Found = WithId<Resource>;

const key = (r: Resource): string => `${r.resourceType}/${r.id}`;

/**
 * Resources included by the matches (and, for :iterate targets, by included resources), without duplicates, without
 * the matches themselves, and only those `mayInclude` accepts. Throws 400 when more than MAX_INCLUDED would be included.
 */
export async function findIncluded(
  db: Queryable,
  matches: Found[],
  includes: ResolvedInclude[],
  revIncludes: ResolvedInclude[],
  fhirBaseUrl: string,
  mayInclude: (resource: Found) => boolean = () => true
): Promise<Found[]> {
  const base = fhirBaseUrl.replace(/\/+$/, '') + '/';
  const seen = new Set(matches.map(key));
  const included: Found[] = [];
  let frontier = matches;
  for (let round = 0; frontier.length > 0 && round < MAX_ITERATIONS; round++) {
    const iterateOnly = round > 0;
    const found: Found[] = [];
    for (const inc of includes) {
      if (!iterateOnly || inc.target.modifier === 'iterate') {
        found.push(...(await forwardInclude(db, inc, frontier, base)));
      }
    }
    for (const rev of revIncludes) {
      if (!iterateOnly || rev.target.modifier === 'iterate') {
        found.push(...(await reverseInclude(db, rev, frontier, base)));
      }
    }
    const next: Found[] = [];
    for (const resource of found) {
      const k = key(resource);
      // Resources the caller may not see are dropped before :iterate could continue from them.
      if (!seen.has(k) && mayInclude(resource)) {
        seen.add(k);
        included.push(resource);
        next.push(resource);
      }
    }
    if (included.length > MAX_INCLUDED) {
      throw invalid(`The search includes more than ${MAX_INCLUDED} resources; narrow it or page with a smaller _count`);
    }
    frontier = next;
  }
  return included;
}

function parseRows(rows: { content: string }[]): Found[] {
  return rows.map((r) => JSON.parse(r.content) as Found);
}

/** _include=Type:param[:target]: the resources the sources' references point to. */
async function forwardInclude(db: Queryable, inc: ResolvedInclude, frontier: Found[], base: string): Promise<Found[]> {
  const { target, info } = inc;
  const ids = frontier.filter((r) => r.resourceType === target.resourceType).map((r) => r.id);
  if (ids.length === 0) {
    return [];
  }
  if (info.canonical) {
    const types = target.targetType ? [target.targetType] : (info.targetTypes ?? []);
    const { rows } = await db.query(
      `SELECT r.content FROM resource r WHERE NOT r.deleted AND (r.resource_type, r.id) IN (
         SELECT u.resource_type, u.resource_id FROM search_uri u
         WHERE u.resource_type = ANY($4::text[]) AND u.param = 'url' AND u.value IN (
           SELECT x.ref FROM search_reference x WHERE x.resource_type = $1 AND x.param = ANY($2::text[]) AND x.resource_id = ANY($3::text[])))
       LIMIT ${MAX_INCLUDED + 1}`,
      [target.resourceType, info.rowParams, ids, types]
    );
    return parseRows(rows);
  }
  // The alias' reference type (patient → Patient) and the requested target type both narrow the references.
  const type = target.targetType ?? info.refType;
  if (target.targetType && info.refType && target.targetType !== info.refType) {
    return [];
  }
  // Local references: "Type/id", or absolute URLs under this server's base.
  const { rows } = await db.query(
    `SELECT r.content FROM resource r WHERE NOT r.deleted AND (r.resource_type, r.id) IN (
       SELECT split_part(l.ref, '/', 1) COLLATE "default", split_part(l.ref, '/', 2) COLLATE "default"
       FROM (SELECT CASE WHEN starts_with(x.ref, $5) THEN substr(x.ref, length($5) + 1) ELSE x.ref END AS ref
             FROM search_reference x
             WHERE x.resource_type = $1 AND x.param = ANY($2::text[]) AND x.resource_id = ANY($3::text[])) l
       WHERE l.ref LIKE $4 AND l.ref NOT LIKE '%:%')
     LIMIT ${MAX_INCLUDED + 1}`,
    [target.resourceType, info.rowParams, ids, type ? escapeLike(type) + '/%' : '%/%', base]
  );
  return parseRows(rows);
}

/** _revinclude=Type:param[:target]: the resources of Type whose param refers to a source. */
async function reverseInclude(db: Queryable, rev: ResolvedInclude, frontier: Found[], base: string): Promise<Found[]> {
  const { target, info } = rev;
  const type = target.targetType ?? info.refType;
  const sources = type ? frontier.filter((r) => r.resourceType === type) : frontier;
  const refs = info.canonical
    ? sources.map((r) => (r as { url?: string }).url).filter((u): u is string => typeof u === 'string')
    : sources.flatMap((r) => [key(r), base + key(r)]);
  if (refs.length === 0) {
    return [];
  }
  const { rows } = await db.query(
    `SELECT r.content FROM resource r WHERE r.resource_type = $1 AND NOT r.deleted AND r.id IN (
       SELECT x.resource_id FROM search_reference x WHERE x.resource_type = $1 AND x.param = ANY($2::text[]) AND x.ref = ANY($3::text[]))
     LIMIT ${MAX_INCLUDED + 1}`,
    [target.resourceType, info.rowParams, refs]
  );
  return parseRows(rows);
}
