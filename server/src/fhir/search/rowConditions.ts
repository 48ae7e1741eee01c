// Building blocks of compiled search conditions: row conditions on index tables, probes, AND/OR, the driving query.
import type { Filter } from '@medplum/core';
import type { ParamInfo } from './catalog.ts';
import { hideValues, type RowRef, type SqlParams } from './sql.ts';
import { escapeLike } from './text.ts';
import { TABLE_NAMES, type IndexTable } from './types.ts';
import { invalid, truncateForMessage } from './values.ts';

/** A compiled filter. */
export interface Condition {
  /** Lower is more selective; the lowest-ranked condition with ids() drives the query. */
  rank: number;
  /** SQL boolean: does the resource at `row` match? */
  test(p: SqlParams, row: RowRef): string;
  /** SQL selecting the distinct ids (column "id") of matching resources, for conditions that can drive a query. */
  ids?(p: SqlParams): string;
  /** Which of a patient's index ranges it reads, when compartment-scoped (a date range usually narrows most). */
  inCompartment?: 'token' | 'date';
  /**
   * For a one-sided range (ge/gt, le/lt) on an ordered parameter: its matching ids together with the parameter's
   * sort key, read from the same rows. The rows a `ge`/`gt` range leaves out all lie below every row it keeps, so
   * max(high) over the kept rows is the resource's descending sort key (and min(low) under `le`/`lt` its ascending
   * one): a search filtered and sorted by one date needs no second pass over the dates.
   */
  sortKeyIds?: { param: string; descending: boolean; ids(p: SqlParams): string };
  /**
   * For a compartment-scoped range: the resource ids of its matching index rows, not made distinct (a resource may
   * repeat), for set operations that remove duplicates themselves (lastN.ts: INTERSECT).
   */
  rangeIds?(p: SqlParams): string;
}

/** Settings of one compilation. */
export interface CompileOptions {
  strict: boolean;
  fhirBaseUrl: string;
  /** Filters dropped in lenient mode (reported so they can be left out of the self link). */
  ignored?: Filter[];
  /**
   * compartmentKey() of the Patient every match belongs to, when the search has a filter implying it (see
   * compartment.ts): token and date conditions then read only that patient's index range. Several keys when the
   * filter names several Patients (`subject=Patient/a,Patient/b`): the ranges of each.
   */
  compartment?: CompartmentKeys;
  /** The access restriction of each type whose candidates a chained or _has parameter reads (see SearchRestriction). */
  restrict?: (resourceType: string) => Condition | undefined;
}

/**
 * How recent a date range's start must be to rank as recent: a monitored patient sends a few readings a day for months,
 * so a week of their rows is far fewer than their history of any code (alert rules look back an hour to three days).
 */
export const RECENT_RANGE_MS = 7 * 86_400_000;

/** Driver preference by kind: identifiers and references first, broad ranges last. */
export const RANK = {
  id: 0,
  identifier: 5,
  /** A patient's rows in a range starting within RECENT_RANGE_MS: a few readings, fewer than any code's history. */
  compartmentRecentDate: 6,
  compartmentToken: 7,
  compartmentDate: 9,
  reference: 10,
  uri: 12,
  exact: 15,
  token: 30,
  composite: 32,
  string: 35,
  chain: 40,
  quantity: 50,
  recentDate: 58,
  date: 60,
  lastUpdated: 70,
  contains: 90,
  present: 95,
} as const;

export type Alias = string;
/** Builds a row predicate on the index table alias; may add parameters. */
export type Predicate = (p: SqlParams, a: Alias) => string;

/** Where a parameter's values are: its index table, the param codes of its rows, and an optional reference type. */
export interface ParamRows {
  table: IndexTable;
  params: string[];
  /** Only references to this type (aliases such as patient = subject.where(resolve() is Patient)). */
  refType?: string;
}

export function paramRows(info: ParamInfo): ParamRows {
  return { table: info.table as IndexTable, params: info.rowParams, refType: info.refType };
}

/** SQL restricting alias `a` to the rows of a parameter (after its resource_type condition). */
export function paramRowsSql(p: SqlParams, a: Alias, rows: ParamRows): string {
  const param =
    rows.params.length === 1
      ? `${a}.param = ${p.add(rows.params[0], 'text')}`
      : `${a}.param = ANY(${p.add(rows.params, 'text[]')})`;
  if (!rows.refType) {
    return param;
  }
  // "Type/id", or an absolute URL ending in Type/id.
  const type = escapeLike(rows.refType);
  return `${param} AND (${a}.ref LIKE ${p.add(type + '/%', 'text')} OR ${a}.ref LIKE ${p.add('%/' + type + '/%', 'text')})`;
}

export function identifierRows(info: ParamInfo): ParamRows {
  return { table: 'token', params: info.rowParams.map((p) => `${p}:identifier`) };
}

/** compartmentKey() of one Patient, or of each of several (a search naming several Patients). */
export type CompartmentKeys = string | readonly string[];

/** SQL: the index row at alias `a` lies in the compartment(s). */
export function inCompartmentSql(p: SqlParams, a: Alias, keys: CompartmentKeys): string {
  return typeof keys === 'string'
    ? `${a}.compartment = ${p.add(keys, 'int8')}`
    : `${a}.compartment = ANY(${p.add(keys as string[], 'int8[]')})`;
}

/** Marks the condition that defines the compartment (its rows are the patient's; they carry no key). */
export const SELF_SCOPED = 'self';

/** Tables whose rows carry the compartment key. */
export const COMPARTMENT_TABLES: ReadonlySet<IndexTable> = new Set<IndexTable>(['token', 'date']);

/**
 * A condition on rows of one parameter in one index table. Within a compartment (token and date rows), both forms
 * read the patient's contiguous index range: test() as an uncorrelated IN (hashed once), ids() directly.
 */
export function rowCondition(
  resourceType: string,
  rows: ParamRows,
  predicate: Predicate | undefined,
  rank: number,
  negate = false,
  compartment?: CompartmentKeys,
  /** Set for one-sided ranges on ordered (low/high) tables: see Condition.sortKeyIds. */
  oneSided?: { param: string; descending: boolean }
): Condition {
  // The compartment's own reference filter (subject=Patient/X) selects exactly the patient's rows: also one range.
  const scoped = compartment !== undefined && (COMPARTMENT_TABLES.has(rows.table) || compartment === SELF_SCOPED);
  // Date bounds are hidden from the planner (hideValues) wherever one patient's or one resource's rows are wanted:
  // in a compartment range and in a per-resource probe. Across all patients the planner needs them to size the range.
  const hideDates = rows.table === 'date';
  const where = (p: SqlParams, a: Alias, hide: boolean): string =>
    predicate ? ` AND (${predicate(hide && hideDates ? hideValues(p) : p, a)})` : '';
  const from = (p: SqlParams, a: Alias): string =>
    `${TABLE_NAMES[rows.table]} ${a} WHERE ${a}.resource_type = ${p.add(resourceType, 'text')} AND ${paramRowsSql(p, a, rows)}` +
    (scoped && compartment !== SELF_SCOPED ? ` AND ${inCompartmentSql(p, a, compartment)}` : '');
  const condition: Condition = {
    rank: negate
      ? Infinity
      : !scoped || compartment === SELF_SCOPED
        ? rank
        : rows.table === 'token'
          ? RANK.compartmentToken
          : rank === RANK.recentDate
            ? RANK.compartmentRecentDate
            : RANK.compartmentDate,
    inCompartment: scoped && compartment !== SELF_SCOPED ? (rows.table as 'token' | 'date') : undefined,
    test(p, row) {
      const a = p.alias('x');
      // One patient's range is small: an uncorrelated IN. Several patients' ranges can be large and PostgreSQL,
      // misjudging them, may nest-loop over them: probe each candidate's own rows instead.
      if (scoped && typeof compartment === 'string') {
        return `${row.id} ${negate ? 'NOT IN' : 'IN'} (SELECT ${a}.resource_id FROM ${from(p, a)}${where(p, a, true)})`;
      }
      return `${negate ? 'NOT ' : ''}${probe(`${from(p, a)} AND ${a}.resource_id = ${row.id}${where(p, a, true)}`)}`;
    },
  };
  if (!negate) {
    condition.ids = (p) => {
      const a = p.alias('x');
      return `SELECT DISTINCT ${a}.resource_id AS id FROM ${from(p, a)}${where(p, a, scoped)}`;
    };
    if (condition.inCompartment) {
      condition.rangeIds = (p) => {
        const a = p.alias('x');
        return `SELECT ${a}.resource_id AS id FROM ${from(p, a)}${where(p, a, true)}`;
      };
    }
    if (oneSided && predicate) {
      const aggregate = oneSided.descending ? 'max' : 'min';
      const column = oneSided.descending ? 'high' : 'low';
      condition.sortKeyIds = {
        param: oneSided.param,
        descending: oneSided.descending,
        ids: (p) => {
          const a = p.alias('x');
          return (
            `SELECT ${a}.resource_id AS id, ${aggregate}(${a}.${column}) AS k FROM ${from(p, a)}${where(p, a, scoped)}` +
            ` GROUP BY ${a}.resource_id`
          );
        },
      };
    }
  }
  return condition;
}

/**
 * EXISTS (SELECT 1 FROM <from/where>) as a per-row probe. OFFSET 0 keeps PostgreSQL from turning it into a semi-join:
 * its row estimates for these generic tables are poor (it once chose to merge-join 200k code rows against a
 * patient's 1,000), while a probe of the per-resource or lookup index costs microseconds per driving row.
 */
export function probe(fromWhere: string): string {
  return `EXISTS (SELECT 1 FROM ${fromWhere} OFFSET 0)`;
}

/** OR of alternatives inside one predicate. */
export function anyOf(predicates: Predicate[]): Predicate {
  return (p, a) => (predicates.length === 1 ? predicates[0](p, a) : predicates.map((f) => `(${f(p, a)})`).join(' OR '));
}

export function constant(value: boolean): Condition {
  return { rank: Infinity, test: () => (value ? 'TRUE' : 'FALSE') };
}

export function negateCondition(condition: Condition): Condition {
  return { rank: Infinity, test: (p, row) => `NOT (${condition.test(p, row)})` };
}

export function orCondition(conditions: Condition[]): Condition {
  const drivable = conditions.every((c) => c.ids);
  return {
    rank: drivable ? Math.max(...conditions.map((c) => c.rank)) : Infinity,
    test: (p, row) => conditions.map((c) => `(${c.test(p, row)})`).join(' OR '),
    ids: drivable
      ? (p) => conditions.map((c) => (c.ids as NonNullable<Condition['ids']>)(p)).join(' UNION ')
      : undefined,
  };
}

/** AND of conditions on one resource type; drivable through its most selective member. */
export function andCondition(resourceType: string, conditions: Condition[]): Condition {
  const best = Math.min(...conditions.map((c) => (c.ids ? c.rank : Infinity)));
  return {
    rank: best,
    inCompartment:
      conditions.find((c) => c.inCompartment === 'date')?.inCompartment ??
      conditions.find((c) => c.inCompartment)?.inCompartment,
    test: (p, row) => conditions.map((c) => `(${c.test(p, row)})`).join(' AND '),
    ids: Number.isFinite(best) ? (p) => idsQuery(p, resourceType, conditions) : undefined,
  };
}

/**
 * SELECT of the ids of resources matching all conditions: driven by the most selective drivable condition,
 * or by the resource table (live resources only) when none can drive.
 */
export function idsQuery(p: SqlParams, resourceType: string, conditions: Condition[]): string {
  const { from, where, row } = driveQuery(p, resourceType, conditions);
  return `SELECT ${row.id} AS id FROM ${from}${where.length ? ' WHERE ' + where.join(' AND ') : ''}`;
}

export interface DrivenQuery {
  /** FROM clause; its alias is the table part of row.id. */
  from: string;
  where: string[];
  row: RowRef;
  /** True when driven by the resource table (no index condition could drive). */
  resourceDriven: boolean;
}

/** The FROM clause and WHERE terms of a query over the matching resources. */
export function driveQuery(p: SqlParams, resourceType: string, conditions: Condition[]): DrivenQuery {
  let driver: Condition | undefined;
  for (const c of conditions) {
    if (c.ids && Number.isFinite(c.rank) && (!driver || c.rank < driver.rank)) {
      driver = c;
    }
  }
  const d = p.alias('d');
  if (driver) {
    const row: RowRef = { id: `${d}.id` };
    const from = `(${(driver.ids as NonNullable<Condition['ids']>)(p)}) ${d}`;
    const where = conditions.filter((c) => c !== driver).map((c) => c.test(p, row));
    return { from, where, row, resourceDriven: false };
  }
  const row: RowRef = { id: `${d}.id`, lastUpdated: `${d}.last_updated` };
  const where = [
    `${d}.resource_type = ${p.add(resourceType, 'text')}`,
    `NOT ${d}.deleted`,
    ...conditions.map((c) => c.test(p, row)),
  ];
  return { from: `resource ${d}`, where, row, resourceDriven: true };
}

export function unknownParam(message: string, filter: Filter, options: CompileOptions): undefined {
  if (options.strict) {
    throw invalid(message);
  }
  options.ignored?.push(filter);
  return undefined;
}

export function requireOperator(code: string, operator: string, allowed: string[]): void {
  if (!allowed.includes(operator)) {
    throw invalid(
      `Modifier or prefix '${truncateForMessage(operator)}' is not supported for search parameter '${truncateForMessage(code)}'`
    );
  }
}
