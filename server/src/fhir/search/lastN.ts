// Observation $lastn as SQL: the matches of a search, grouped by subject and code, the newest `max` of each group.
import type { SearchRequest, WithId } from '@medplum/core';
import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';
import { loadFhirDefinitions } from '../definitions.ts';
import { planSearch, type SearchPlan } from './plan.ts';
import { driveQuery, type Condition } from './rowConditions.ts';
import { SqlParams } from './sql.ts';
import { storedMatchEntry } from './storedEntries.ts';
import { isSubset, subsetResource } from './subset.ts';
import type { Queryable, SearchContext } from './types.ts';
import { invalid } from './values.ts';

/** Most Observations one $lastn answers (one Bundle, no paging): beyond it the caller is asked to narrow the search. */
export const MAX_LASTN_RESULTS = 10_000;

/**
 * The statement: the search's matching ids (the same conditions, access restriction included, as a search), each
 * given its group (subject reference; code = the lowest `system|code` of Observation.code, so an Observation coded
 * LOINC + MDC groups with one coded LOINC only) and time (the latest instant of `date`, i.e. effective[x]), ranked
 * newest first within its group (id breaks ties), the first `max` of each group joined to their live JSON.
 */
export function lastNQuery(plan: SearchPlan, max: number): { text: string; values: unknown[] } {
  const p = new SqlParams();
  const type = p.add(plan.resourceType, 'text');
  const q = driveQuery(p, plan.resourceType, withCompartmentRangesIntersected(plan.conditions));
  const where = q.where.length ? ` WHERE ${q.where.join(' AND ')}` : '';
  const text =
    `WITH m AS (SELECT DISTINCT ${q.row.id} AS id FROM ${q.from}${where}), ` +
    `k AS (SELECT m.id, ` +
    `(SELECT min(s.ref) FROM search_reference s WHERE s.resource_type = ${type} AND s.resource_id = m.id AND s.param = 'subject') AS subject, ` +
    `(SELECT min(t.system || '|' || t.value) FROM search_token t WHERE t.resource_type = ${type} AND t.resource_id = m.id AND t.param = 'code') AS code, ` +
    `(SELECT max(d.high) FROM search_date d WHERE d.resource_type = ${type} AND d.resource_id = m.id AND d.param = 'date') AS at ` +
    `FROM m), ` +
    `ranked AS (SELECT k.*, row_number() OVER (PARTITION BY k.subject, k.code ORDER BY k.at DESC NULLS LAST, k.id) AS n FROM k) ` +
    // The JSON of each kept row by its key (a join invites PostgreSQL, misjudging how few rows are kept, to scan).
    `SELECT ranked.id, (SELECT r.content FROM resource r WHERE r.resource_type = ${type} AND r.id = ranked.id AND NOT r.deleted) AS content ` +
    `FROM ranked WHERE ranked.n <= ${p.add(max, 'int4')} ` +
    `ORDER BY ranked.subject NULLS LAST, ranked.code NULLS LAST, ranked.n LIMIT ${p.add(MAX_LASTN_RESULTS + 1, 'int4')}`;
  return { text, values: p.values };
}

/**
 * Conditions read from the patients' own index ranges (category, code, date within `subject=Patient/a,…`) are each
 * one index range scan: their intersection drives, so neither a broad category (every reading the patients ever had)
 * nor a broad date range (a week of every kind) is probed row by row against the other. The ranges' rows are not
 * made distinct first: INTERSECT removes duplicates itself, and a DISTINCT over 60,000 category rows (250 patients'
 * month of vital signs) cost more than the rest of the query.
 */
function withCompartmentRangesIntersected(conditions: Condition[]): Condition[] {
  const ranges = conditions.filter((c) => c.inCompartment && c.rangeIds);
  if (ranges.length < 2) {
    return conditions;
  }
  const intersection: Condition = {
    rank: -1,
    test: (p, row) => ranges.map((c) => `(${c.test(p, row)})`).join(' AND '),
    ids: (p) => ranges.map((c) => `(${(c.rangeIds as NonNullable<Condition['rangeIds']>)(p)})`).join(' INTERSECT '),
  };
  return [intersection, ...conditions.filter((c) => !ranges.includes(c))];
}

/**
 * The $lastn searchset: every group's newest `max` Observations (ordered by subject, code, newest first), `total`
 * their number. `_elements`/`_summary` apply as in a search; `_count`, `_sort`, `_include` do not (one Bundle).
 */
export async function executeLastN(
  db: Queryable,
  request: SearchRequest,
  max: number,
  context: SearchContext
): Promise<Bundle<WithId<Resource>>> {
  loadFhirDefinitions();
  const plan = planSearch(
    {
      ...request,
      count: undefined,
      offset: undefined,
      sortRules: undefined,
      include: undefined,
      revInclude: undefined,
    },
    context
  );
  const { text, values } = lastNQuery(plan, max);
  const { rows } = (await db.query(text, values)) as { rows: { id: string; content: string | null }[] };
  if (rows.length > MAX_LASTN_RESULTS) {
    throw invalid(
      `$lastn would return more than ${MAX_LASTN_RESULTS} Observations: ask for fewer patients, a lower max or a narrower date`
    );
  }
  const baseUrl = context.fhirBaseUrl.replace(/\/+$/, '');
  const live = rows.filter((row): row is { id: string; content: string } => row.content !== null);
  const entry: BundleEntry<WithId<Resource>>[] = live.map((row) => {
    const fullUrl = `${baseUrl}/${plan.resourceType}/${row.id}`;
    if (!isSubset(plan.subset)) {
      return storedMatchEntry(fullUrl, row.content);
    }
    const resource = JSON.parse(row.content) as WithId<Resource>;
    return { fullUrl, resource: subsetResource(resource, plan.subset), search: { mode: 'match' } };
  });
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    total: entry.length,
    ...(entry.length ? { entry } : {}),
  };
}
