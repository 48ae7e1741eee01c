// Formats the effective search back into a query string, for the Bundle's self/first/next/previous links.
import type { Filter, IncludeTarget, SortRule } from '@medplum/core';
import { isPrefix } from './values.ts';

/** The parts of a search that were applied (ignored parameters are left out). */
export interface AppliedSearch {
  filters: Filter[];
  sortRules: SortRule[];
  count: number;
  total?: string;
  summary?: string;
  elements?: string[];
  include: IncludeTarget[];
  revInclude: IncludeTarget[];
}

/** encodeURIComponent, keeping the characters FHIR search syntax uses readable (they are legal in a query). */
function encode(value: string): string {
  return encodeURIComponent(value).replace(/%(3A|7C|2C|24|2F)/g, (m) => decodeURIComponent(m));
}

function formatFilter(filter: Filter): string {
  const operator = filter.operator as string;
  let key = filter.code;
  let prefix = '';
  if (isPrefix(operator)) {
    prefix = operator === 'eq' ? '' : operator;
  } else if (operator && operator !== 'sw') {
    key += ':' + operator;
  }
  return `${encode(key)}=${prefix}${encode(filter.value)}`;
}

function formatInclude(name: string, target: IncludeTarget): string {
  const value = [target.resourceType, target.searchParam, target.targetType].filter(Boolean).join(':');
  return `${name}${target.modifier === 'iterate' ? ':iterate' : ''}=${encode(value)}`;
}

/** Where a page starts: a number of matches to skip, or (keyset paging) the id of the match before it. */
export type PageStart = { offset: number } | { cursor: string };

/** The query string (without "?") reproducing the applied search at the given page. */
export function formatSearchQueryString(search: AppliedSearch, start: PageStart): string {
  const params: string[] = search.filters.map(formatFilter);
  if (search.sortRules.length > 0) {
    params.push('_sort=' + search.sortRules.map((r) => (r.descending ? '-' : '') + encode(r.code)).join(','));
  }
  if (search.summary) {
    params.push('_summary=' + search.summary);
  }
  if (search.elements?.length) {
    params.push('_elements=' + search.elements.map(encode).join(','));
  }
  for (const target of search.include) {
    params.push(formatInclude('_include', target));
  }
  for (const target of search.revInclude) {
    params.push(formatInclude('_revinclude', target));
  }
  if (search.total) {
    params.push('_total=' + search.total);
  }
  params.push('_count=' + search.count);
  if ('cursor' in start) {
    params.push('_cursor=' + encode(start.cursor));
  } else if (start.offset > 0) {
    params.push('_offset=' + start.offset);
  }
  return params.join('&');
}
