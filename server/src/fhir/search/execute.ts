// Executes a search: one SQL statement for the page (and total), then includes, subsetting and the searchset Bundle.
import type { SearchRequest, WithId } from '@medplum/core';
import type { FhirRepository } from '@medplum/fhir-router';
import type { Bundle, BundleEntry, BundleLink, Resource } from '@medplum/fhirtypes';
import { loadFhirDefinitions } from '../definitions.ts';
import { driveQuery, type Condition } from './rowConditions.ts';
import { findIncluded } from './include.ts';
import { formatSearchQueryString, type PageStart } from './links.ts';
import { planSearch, type SearchPlan } from './plan.ts';
import { SqlParams } from './sql.ts';
import { storedMatchEntry } from './storedEntries.ts';
import { isSubset, subsetResource } from './subset.ts';
import type { Queryable, SearchContext } from './types.ts';

/**
 * Executes a search and returns the searchset Bundle. `repo` is accepted for the repository contract; includes are
 * resolved here from the reference index, in the caller's transaction.
 */
export async function executeSearch(
  _repo: FhirRepository,
  db: Queryable,
  request: SearchRequest,
  context: SearchContext
): Promise<Bundle<WithId<Resource>>> {
  loadFhirDefinitions();
  const plan = planSearch(request, context);
  const baseUrl = context.fhirBaseUrl.replace(/\/+$/, '');

  let rows: PageRow[] = [];
  let total: number | undefined;
  let more = false;
  if (plan.count > 0) {
    const page = await fetchPage(db, plan);
    rows = page.rows;
    total = page.total;
    more = page.more;
    if (total === undefined && plan.total !== 'none' && (rows.length === 0 || plan.cursor)) {
      // Past the last page the window count saw no rows, and after a cursor it sees only the matches after it: count
      // separately (0 on an empty first page).
      total = plan.offset > 0 || plan.cursor ? await countMatches(db, plan) : 0;
    }
  } else if (plan.total !== 'none') {
    total = await countMatches(db, plan);
  }

  const hasIncludes = plan.includes.length > 0 || plan.revIncludes.length > 0;
  const entry: BundleEntry<WithId<Resource>>[] = [];
  const matches: WithId<Resource>[] = [];
  for (const row of rows) {
    const fullUrl = `${baseUrl}/${plan.resourceType}/${row.id}`;
    if (!isSubset(plan.subset) && !hasIncludes) {
      // The common case: answer with the stored JSON as it is.
      entry.push(storedMatchEntry(fullUrl, row.content));
      continue;
    }
    const resource = JSON.parse(row.content) as WithId<Resource>;
    matches.push(resource);
    entry.push({
      fullUrl,
      resource: isSubset(plan.subset) ? subsetResource(resource, plan.subset) : resource,
      search: { mode: 'match' },
    });
  }
  if (matches.length > 0 && hasIncludes) {
    const restriction = context.restriction;
    const mayInclude = restriction && ((r: WithId<Resource>) => restriction.mayInclude(r));
    const included = await findIncluded(db, matches, plan.includes, plan.revIncludes, context.fhirBaseUrl, mayInclude);
    for (const resource of included) {
      entry.push({
        fullUrl: `${baseUrl}/${resource.resourceType}/${resource.id}`,
        resource,
        search: { mode: 'include' },
      });
    }
  }

  const bundle: Bundle<WithId<Resource>> = { resourceType: 'Bundle', type: 'searchset' };
  if (total !== undefined) {
    bundle.total = total;
  }
  bundle.link = pagingLinks(baseUrl, plan, more ? rows.at(-1)?.id : undefined);
  if (entry.length > 0) {
    bundle.entry = entry;
  }
  return bundle;
}

/** The matching resources of the requested page, and the total when requested, in one statement. */
interface PageRow {
  id: string;
  content: string;
}

/**
 * The page, and whether more matches follow it: told by the total when the statement counts them, otherwise by one
 * row more than the page, read and dropped (so a last page that happens to be full has no next link).
 */
async function fetchPage(db: Queryable, plan: SearchPlan): Promise<{ rows: PageRow[]; total?: number; more: boolean }> {
  const counted = plan.total !== 'none' && !plan.cursor;
  const { text, values } = pageQuery(plan, counted ? 0 : 1);
  const { rows } = (await db.query(text, values)) as { rows: (PageRow & { total?: string })[] };
  if (counted) {
    const total = rows.length > 0 ? Number(rows[0].total) : undefined;
    return { rows, total, more: total !== undefined && plan.offset + plan.count < total };
  }
  return { rows: rows.slice(0, plan.count), more: rows.length > plan.count };
}

/**
 * The page statement: matching ids (driven by the most selective condition, other conditions as EXISTS probes),
 * sorted with a final id tiebreak, counted with a window when a total is wanted, then joined to the live resources.
 * Each page row's resource is looked up by its key (the LATERAL subquery with OFFSET 0 cannot be flattened into a
 * join): a hash join would read the whole resource table, which PostgreSQL 18 chose for a 500-row page of a small one.
 */
export function pageQuery(plan: SearchPlan, extraRows = 0): { text: string; values: unknown[] } {
  const p = new SqlParams();
  const type = p.add(plan.resourceType, 'text');
  // A patient's readings in a date range, newest first: the range's own rows give the ids and the sort key.
  const firstSort = plan.sortKeys[0]?.rule;
  const keyed = firstSort
    ? plan.conditions.find(
        (c) =>
          c.inCompartment === 'date' &&
          c.sortKeyIds?.param === firstSort.code &&
          c.sortKeyIds.descending === Boolean(firstSort.descending)
      )
    : undefined;
  const q = keyed ? driveBySortKey(p, keyed, plan.conditions) : driveQuery(p, plan.resourceType, plan.conditions);
  // Within a patient, sort keys are joined from the patient's rows in one pass, unless a date range already narrowed
  // the candidates to a few (then probing each is cheaper).
  const joinSortKeys = plan.conditions.some((c) => c.inCompartment === 'date') ? undefined : plan.compartment;
  const sorts = plan.sortKeys.map((k, i) =>
    keyed && i === 0
      ? { expr: (q as DrivenBySortKey).sortKey, descending: k.rule.descending }
      : { ...k.expr(p, q.row, plan.resourceType, joinSortKeys), descending: k.rule.descending }
  );
  const order = [...sorts.map((k) => `${k.expr} ${k.descending ? 'DESC' : 'ASC'} NULLS LAST`), `${q.row.id} ASC`].join(
    ', '
  );
  const joins = sorts.map((k) => (k.join ? ' ' + k.join : '')).join('');
  // A cursor page's total is counted apart (countMatches): the window here sees only the matches after the cursor.
  const withTotal = plan.total !== 'none' && !plan.cursor;
  const conditions = plan.cursor ? [...q.where, `${q.row.id} > ${p.add(plan.cursor, 'text')}`] : q.where;
  const where = conditions.length ? ` WHERE ${conditions.join(' AND ')}` : '';
  const text =
    `SELECT m.id, m.ord${withTotal ? ', m.total' : ''}, r.content FROM (` +
    `SELECT ${q.row.id} AS id, row_number() OVER (ORDER BY ${order}) AS ord${withTotal ? ', count(*) OVER () AS total' : ''}` +
    ` FROM ${q.from}${joins}${where} ORDER BY ${order} LIMIT ${p.add(plan.count + extraRows, 'int4')} OFFSET ${p.add(plan.offset, 'int4')}` +
    `) m CROSS JOIN LATERAL (SELECT r.content FROM resource r` +
    ` WHERE r.resource_type = ${type} AND r.id = m.id AND NOT r.deleted OFFSET 0) r ORDER BY m.ord`;
  return { text, values: p.values };
}

type DrivenBySortKey = ReturnType<typeof driveQuery> & { sortKey: string };

/** Drives the page from a range condition that also yields the first sort key. */
function driveBySortKey(p: SqlParams, keyed: Condition, conditions: Condition[]): DrivenBySortKey {
  const d = p.alias('d');
  const row = { id: `${d}.id` };
  const from = `(${keyed.sortKeyIds?.ids(p)}) ${d}`;
  const where = conditions.filter((c) => c !== keyed).map((c) => c.test(p, row));
  return { from, where, row, resourceDriven: false, sortKey: `${d}.k` };
}

/** The number of matching resources. */
export async function countMatches(db: Queryable, plan: SearchPlan): Promise<number> {
  const p = new SqlParams();
  const q = driveQuery(p, plan.resourceType, plan.conditions);
  const where = q.where.length ? ` WHERE ${q.where.join(' AND ')}` : '';
  const { rows } = await db.query(`SELECT count(*) AS total FROM ${q.from}${where}`, p.values);
  return Number(rows[0].total);
}

/**
 * self, first, next and previous. A search in id order (no `_sort`) pages by keyset: its next link carries the last
 * match's id as `_cursor`, so every page costs the same however deep (a page after a cursor has no previous link).
 * A sorted search pages by `_offset` (at most MAX_OFFSET).
 */
function pagingLinks(baseUrl: string, plan: SearchPlan, lastBeforeMore: string | undefined): BundleLink[] {
  const url = (start: PageStart): string => {
    const query = formatSearchQueryString(plan.applied, start);
    return `${baseUrl}/${plan.resourceType}${query ? '?' + query : ''}`;
  };
  const links: BundleLink[] = [
    { relation: 'self', url: url(plan.cursor ? { cursor: plan.cursor } : { offset: plan.offset }) },
  ];
  if (plan.count === 0) {
    return links;
  }
  links.push({ relation: 'first', url: url({ offset: 0 }) });
  if (lastBeforeMore) {
    links.push({
      relation: 'next',
      url: url(plan.sortKeys.length === 0 ? { cursor: lastBeforeMore } : { offset: plan.offset + plan.count }),
    });
  }
  if (plan.offset > 0) {
    links.push({ relation: 'previous', url: url({ offset: Math.max(0, plan.offset - plan.count) }) });
  }
  return links;
}
