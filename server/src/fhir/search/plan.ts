// Validates a SearchRequest and resolves it into conditions, sort keys, paging and includes (no I/O).
import {
  DEFAULT_MAX_SEARCH_COUNT,
  DEFAULT_SEARCH_COUNT,
  type Filter,
  type IncludeTarget,
  type SearchRequest,
  type SortRule,
} from '@medplum/core';
import { getParamInfo, getTypeCatalog, type ParamInfo } from './catalog.ts';
import { compartmentKey, patientIdOf } from './compartment.ts';
import { compileFilter, type Condition } from './conditions.ts';
import { referenceCandidates } from './predicates.ts';
import { resolveIncludes, type ResolvedInclude } from './include.ts';
import type { AppliedSearch } from './links.ts';
import { compileSort, type SortKey } from './sort.ts';
import type { SubsetRequest } from './subset.ts';
import type { SearchContext } from './types.ts';
import { invalid, splitOrValues, truncateForMessage } from './values.ts';

/** Deepest _offset accepted: deeper pages cost a scan of everything before them. */
export const MAX_OFFSET = 100_000;

export type TotalMode = 'none' | 'estimate' | 'accurate';

export interface SearchPlan {
  resourceType: string;
  /** compartmentKey() of the Patient all matches belong to, if the filters imply one. */
  compartment?: string;
  conditions: Condition[];
  sortKeys: SortKey[];
  count: number;
  offset: number;
  /** Keyset paging (searches without _sort, in id order): only matches after this id. */
  cursor?: string;
  total: TotalMode;
  subset: SubsetRequest;
  includes: ResolvedInclude[];
  revIncludes: ResolvedInclude[];
  /** What was applied, for the links. */
  applied: AppliedSearch;
}

/** Default of _total: accurate (computed in the same statement as the page, see README). */
export const DEFAULT_TOTAL: TotalMode = 'accurate';

export function planSearch(request: SearchRequest, context: SearchContext): SearchPlan {
  const resourceType = request.resourceType;
  if (!getTypeCatalog(resourceType)) {
    throw invalid(`Unknown resource type '${truncateForMessage(String(resourceType))}'`);
  }
  if (request.types?.length) {
    unsupported(context, '_type (searching several resource types) is not supported');
  }

  const ignoredFilters: Filter[] = [];
  const conditions: Condition[] = [];
  const appliedFilters: Filter[] = [];
  const patient = findSearchPatient(resourceType, request.filters ?? [], context.fhirBaseUrl);
  const compartment = patient && compartmentKey(patient.id);
  // Several Patients (`subject=Patient/a,Patient/b`, a caseload in chunks): token and date rows of each one's range.
  const compartments =
    compartment ?? findSearchPatients(resourceType, request.filters ?? [], context.fhirBaseUrl)?.map(compartmentKey);
  const restriction = context.restriction;
  const restrict = restriction && ((type: string) => restriction.conditionFor(type));
  for (const filter of request.filters ?? []) {
    const options = {
      strict: context.strict,
      fhirBaseUrl: context.fhirBaseUrl,
      ignored: ignoredFilters,
      compartment: compartments,
      restrict,
    };
    const condition = compileFilter(resourceType, filter, options);
    if (condition) {
      conditions.push(condition);
      appliedFilters.push(filter);
    }
  }
  // The caller's access restriction is one more condition of the same statement (not in the links: not asked for).
  const access = restriction?.conditionFor(resourceType, patient?.local ? patient.id : undefined);
  if (access) {
    conditions.push(access);
  }

  const ignoredSort: SortRule[] = [];
  const sortKeys = compileSort(resourceType, request.sortRules, context.strict, ignoredSort);

  const count = checkCount(request.count);
  const offset = checkOffset(request.offset);
  const cursor = checkCursor(request, sortKeys, offset);
  // A page after a cursor is not counted unless asked: the count is of every match, a scan each page would repeat.
  const total = request.total ?? (cursor ? 'none' : DEFAULT_TOTAL);
  if (total !== 'none' && total !== 'estimate' && total !== 'accurate') {
    throw invalid('_total must be none, estimate or accurate');
  }
  const summary = request.summary;
  if (summary !== undefined && summary !== 'true' && summary !== 'text' && summary !== 'data') {
    throw invalid('_summary must be true, text, data, count or false');
  }

  const ignoredIncludes: IncludeTarget[] = [];
  const includes = resolveIncludes(request.include, context.strict, ignoredIncludes);
  const revIncludes = resolveIncludes(request.revInclude, context.strict, ignoredIncludes);

  return {
    resourceType,
    compartment,
    conditions,
    sortKeys,
    count,
    offset,
    cursor,
    total,
    subset: { summary, elements: request.fields },
    includes,
    revIncludes,
    applied: {
      filters: appliedFilters,
      sortRules: sortKeys.map((k) => k.rule),
      count,
      total: request.total,
      summary,
      elements: request.fields,
      include: includes.map((i) => i.target),
      revInclude: revIncludes.map((i) => i.target),
    },
  };
}

/**
 * The one Patient (id) all matches must belong to, when a filter on the type's compartment parameter names exactly
 * one Patient (subject=Patient/X, patient=X, subject:Patient=X). Its compartmentKey() narrows index reads. `local`:
 * the filter names this server's Patient ("Patient/X" or under the base), not one of another server.
 */
export function findSearchPatient(
  resourceType: string,
  filters: Filter[],
  fhirBaseUrl: string
): { id: string; local: boolean } | undefined {
  for (const { info, parts } of compartmentFilters(resourceType, filters)) {
    if (parts.length === 1) {
      const found = patientOfValue(info, parts[0], fhirBaseUrl);
      if (found) {
        return found;
      }
    }
  }
  return undefined;
}

/**
 * The Patient ids of a filter on the compartment parameter naming several Patients (`subject=Patient/a,Patient/b`),
 * each value exactly one Patient; undefined when there is none, or a value names something else.
 */
export function findSearchPatients(resourceType: string, filters: Filter[], fhirBaseUrl: string): string[] | undefined {
  for (const { info, parts } of compartmentFilters(resourceType, filters)) {
    const ids = parts.map((part) => patientOfValue(info, part, fhirBaseUrl)?.id);
    if (parts.length > 1 && ids.every((id) => id !== undefined)) {
      return [...new Set(ids as string[])];
    }
  }
  return undefined;
}

/** Equality filters on the type's compartment reference parameter (to Patients), with their OR-ed values. */
function compartmentFilters(resourceType: string, filters: Filter[]): { info: ParamInfo; parts: string[] }[] {
  const compartmentParam = getTypeCatalog(resourceType)?.compartmentParam;
  if (!compartmentParam) {
    return [];
  }
  const found: { info: ParamInfo; parts: string[] }[] = [];
  for (const filter of filters) {
    const info = filter.operator === 'eq' ? getParamInfo(resourceType, filter.code) : undefined;
    if (!info || info.kind !== 'reference' || info.rowParams.length !== 1 || info.rowParams[0] !== compartmentParam) {
      continue;
    }
    if (info.refType && info.refType !== 'Patient') {
      continue;
    }
    found.push({ info, parts: splitOrValues(filter.value) });
  }
  return found;
}

/** The one Patient a reference value names; `local`: this server's ("Patient/X" or under the base). */
function patientOfValue(
  info: ParamInfo,
  value: string,
  fhirBaseUrl: string
): { id: string; local: boolean } | undefined {
  const candidates = referenceCandidates(info, value, fhirBaseUrl);
  const patientIds = new Set(candidates.map(patientIdOf));
  const [patientId] = patientIds;
  if (patientIds.size !== 1 || !patientId) {
    return undefined;
  }
  const base = fhirBaseUrl.replace(/\/+$/, '') + '/';
  const local = candidates.every((c) => c === `Patient/${patientId}` || c === `${base}Patient/${patientId}`);
  return { id: patientId, local };
}

function unsupported(context: SearchContext, message: string): void {
  if (context.strict) {
    throw invalid(message);
  }
}

function checkCount(count: number | undefined): number {
  if (count === undefined) {
    return DEFAULT_SEARCH_COUNT;
  }
  if (!Number.isInteger(count) || count < 0) {
    throw invalid('_count must be a non-negative integer');
  }
  return Math.min(count, DEFAULT_MAX_SEARCH_COUNT);
}

/**
 * `_cursor` (from a next link): keyset paging, which costs the same on every page, where a deep `_offset` reads and
 * sorts everything before it. Only for searches in id order (no `_sort`), and not together with `_offset`.
 */
function checkCursor(request: SearchRequest, sortKeys: SortKey[], offset: number): string | undefined {
  if (request.cursor === undefined) {
    return undefined;
  }
  if (sortKeys.length > 0) {
    throw invalid('_cursor pages only searches without _sort; page sorted searches with _offset');
  }
  if (offset > 0) {
    throw invalid('_cursor and _offset cannot be combined');
  }
  return request.cursor;
}

function checkOffset(offset: number | undefined): number {
  if (offset === undefined) {
    return 0;
  }
  if (!Number.isInteger(offset) || offset < 0) {
    throw invalid('_offset must be a non-negative integer');
  }
  if (offset > MAX_OFFSET) {
    throw invalid(`_offset must not exceed ${MAX_OFFSET}`);
  }
  return offset;
}
