// Batched search by reference (GraphQL): the matches of one search for each of many referenced resources, in one query.
import type { SearchRequest, WithId } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import { loadFhirDefinitions } from '../definitions.ts';
import { getParamInfo } from './catalog.ts';
import { paramRows, paramRowsSql } from './rowConditions.ts';
import { normalizeReference } from './indexRows.ts';
import { planSearch } from './plan.ts';
import { SqlParams } from './sql.ts';
import type { Queryable, SearchRestriction } from './types.ts';
import { invalid } from './values.ts';

/**
 * For each reference (e.g. "Patient/123"), the resources matching `request` whose `referenceField` parameter points
 * to it; at most request.count (default 20) per reference, in the request's sort order.
 */
export async function searchByReference(
  db: Queryable,
  request: SearchRequest,
  referenceField: string,
  references: string[],
  restriction?: SearchRestriction
): Promise<Record<string, WithId<Resource>[]>> {
  loadFhirDefinitions();
  const result: Record<string, WithId<Resource>[]> = {};
  for (const reference of references) {
    result[reference] = [];
  }
  const info = getParamInfo(request.resourceType, referenceField);
  if (!info || info.kind !== 'reference') {
    throw invalid(`'${referenceField}' is not a reference search parameter of ${request.resourceType}`);
  }
  if (references.length === 0) {
    return result;
  }
  const plan = planSearch(
    { ...request, offset: undefined, include: undefined, revInclude: undefined },
    { strict: false, fhirBaseUrl: '', restriction }
  );
  const keysByRef = new Map<string, string[]>();
  for (const reference of references) {
    const ref = normalizeReference(reference);
    keysByRef.set(ref, [...(keysByRef.get(ref) ?? []), reference]);
  }

  const p = new SqlParams();
  const type = p.add(plan.resourceType, 'text');
  const row = { id: 'x.resource_id' };
  const tests = plan.conditions.map((c) => ` AND (${c.test(p, row)})`).join('');
  const order = [
    ...plan.sortKeys.map(
      (k) => `${k.expr(p, row, plan.resourceType).expr} ${k.rule.descending ? 'DESC' : 'ASC'} NULLS LAST`
    ),
    'x.resource_id ASC',
  ].join(', ');
  const sql =
    `SELECT m.ref, r.content FROM (` +
    `SELECT x.ref, x.resource_id AS id, row_number() OVER (PARTITION BY x.ref ORDER BY ${order}) AS rn` +
    ` FROM search_reference x WHERE x.resource_type = ${type} AND ${paramRowsSql(p, 'x', paramRows(info))}` +
    ` AND x.ref = ANY(${p.add([...keysByRef.keys()], 'text[]')})${tests}` +
    `) m JOIN resource r ON r.resource_type = ${type} AND r.id = m.id AND NOT r.deleted` +
    ` WHERE m.rn <= ${p.add(plan.count, 'int4')} ORDER BY m.ref, m.rn`;
  const { rows } = await db.query(sql, p.values);
  for (const { ref, content } of rows) {
    const resource = JSON.parse(content) as WithId<Resource>;
    for (const key of keysByRef.get(ref) ?? []) {
      result[key].push(resource);
    }
  }
  return result;
}
