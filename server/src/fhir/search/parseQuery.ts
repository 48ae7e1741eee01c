// Parses an HTTP search query (express-style record) into a SearchRequest, validating every value (400 on bad input).
import { isResourceType, type Filter, type IncludeTarget, type SearchRequest, type SortRule } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import { getParamInfo, getTypeCatalog } from './catalog.ts';
import { compileFilter } from './conditions.ts';
import { invalid, isPrefix, splitOrValues, truncateForMessage } from './values.ts';

/** Most filters one search may carry. */
const MAX_FILTERS = 100;
/** Longest whole query value accepted (a single value is further limited when compiled). */
const MAX_RAW_VALUE = 65_536;

const NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const ELEMENT = /^[A-Za-z][A-Za-z0-9_]*$/;

/**
 * Parses a search query into a SearchRequest. Unlike @medplum/core's parseSearchRequest it supports composite
 * parameters, keeps type modifiers of references (subject:Patient=123 → subject=Patient/123), and rejects invalid
 * values and unknown modifiers with a 400. Unknown parameters are kept as filters: executeSearch decides
 * (strict → 400, lenient → ignored).
 */
export function parseSearchQuery(
  resourceType: string,
  query: Record<string, string | string[] | undefined>
): SearchRequest {
  if (!getTypeCatalog(resourceType)) {
    throw invalid(`Unknown resource type '${truncateForMessage(resourceType)}'`);
  }
  const request: SearchRequest = { resourceType: resourceType as Resource['resourceType'] };
  const seen = new Set<string>();
  for (const [key, raw] of Object.entries(query ?? {})) {
    for (const value of valuesOf(key, raw)) {
      parseEntry(request, seen, key, value);
    }
  }
  return request;
}

function valuesOf(key: string, raw: unknown): string[] {
  const list = Array.isArray(raw) ? raw : [raw ?? ''];
  return list.map((v) => {
    if (typeof v !== 'string') {
      throw invalid(`Invalid value for search parameter '${truncateForMessage(key)}'`);
    }
    if (v.length > MAX_RAW_VALUE) {
      throw invalid(`Value of search parameter '${truncateForMessage(key)}' is too long`);
    }
    return v;
  });
}

function parseEntry(request: SearchRequest, seen: Set<string>, key: string, value: string): void {
  const colon = key.indexOf(':');
  const code = colon >= 0 ? key.slice(0, colon) : key;
  const modifier = colon >= 0 ? key.slice(colon + 1) : '';
  if (code === '' || code === '_') {
    return;
  }
  if (code === '_has' || key.includes('.')) {
    addFilter(request, seen, { code: key, operator: 'eq', value });
    return;
  }
  switch (code) {
    case '_sort':
      request.sortRules = [...(request.sortRules ?? []), ...parseSort(value)];
      return;
    case '_count':
      request.count = parseNonNegativeInteger('_count', value);
      return;
    case '_offset':
      request.offset = parseNonNegativeInteger('_offset', value);
      return;
    case '_cursor':
      // Opaque to clients (next links carry it); here, the id of the previous page's last match.
      if (!/^[A-Za-z0-9\-.]{1,64}$/.test(value)) {
        throw invalid(`Invalid _cursor '${truncateForMessage(value)}': use the next link as given`);
      }
      request.cursor = value;
      return;
    case '_total':
      if (value !== 'none' && value !== 'estimate' && value !== 'accurate') {
        throw invalid(`_total must be none, estimate or accurate`);
      }
      request.total = value;
      return;
    case '_summary':
      parseSummary(request, value);
      return;
    case '_elements':
      request.fields = parseElements(request.resourceType, value);
      return;
    case '_include':
    case '_revinclude': {
      if (modifier !== '' && modifier !== 'iterate') {
        throw invalid(`Invalid modifier ':${truncateForMessage(modifier)}' for ${code}`);
      }
      const target = parseIncludeTarget(code, value);
      if (modifier === 'iterate') {
        target.modifier = 'iterate';
      }
      if (code === '_include') {
        request.include = [...(request.include ?? []), target];
      } else {
        request.revInclude = [...(request.revInclude ?? []), target];
      }
      return;
    }
    case '_format':
      request.format = value;
      return;
    case '_pretty':
      request.pretty = value === 'true';
      return;
    default:
      addFilter(request, seen, parseFilter(request.resourceType, code, modifier, value));
  }
}

/** Builds the filter of one ordinary parameter, in @medplum/core's representation, and validates it. */
function parseFilter(resourceType: string, code: string, modifier: string, value: string): Filter {
  const info = getParamInfo(resourceType, code);
  let filter: Filter = { code, operator: (modifier || 'eq') as Filter['operator'], value };
  if (info && !info.unsupported && modifier !== 'missing') {
    if ((info.kind === 'date' || info.kind === 'number' || info.kind === 'quantity') && !modifier) {
      // The first value's prefix becomes the operator (as core does); other OR values keep their own prefix.
      const head = value.slice(0, 2);
      if (isPrefix(head)) {
        filter = { code, operator: head as Filter['operator'], value: value.slice(2) };
      }
    } else if (info.kind === 'reference' && modifier && isResourceType(modifier)) {
      // Type modifier: subject:Patient=123 → subject=Patient/123.
      const parts = splitOrValues(value).map((part) => (part.includes('/') ? part : `${modifier}/${part}`));
      filter = { code, operator: 'eq', value: parts.join(',') };
    }
  }
  // Compiling validates values and modifiers; unknown parameters pass here (executeSearch applies strictness).
  compileFilter(resourceType, filter, { strict: false, fhirBaseUrl: '' });
  return filter;
}

function addFilter(request: SearchRequest, seen: Set<string>, filter: Filter): void {
  if (filter.code.startsWith('_has') || filter.code.includes('.')) {
    compileFilter(request.resourceType, filter, { strict: false, fhirBaseUrl: '' });
  }
  const key = `${filter.code}\0${filter.operator}\0${filter.value}`;
  if (seen.has(key)) {
    return;
  }
  seen.add(key);
  if (seen.size > MAX_FILTERS) {
    throw invalid(`Too many search parameters (max ${MAX_FILTERS})`);
  }
  request.filters = [...(request.filters ?? []), filter];
}

function parseSort(value: string): SortRule[] {
  const rules: SortRule[] = [];
  for (const field of value.split(',')) {
    const trimmed = field.trim();
    if (!trimmed) {
      continue;
    }
    const descending = trimmed.startsWith('-');
    const code = descending ? trimmed.slice(1) : trimmed;
    if (!NAME.test(code)) {
      throw invalid(`Invalid _sort parameter '${truncateForMessage(trimmed)}'`);
    }
    rules.push({ code, descending });
  }
  return rules;
}

function parseNonNegativeInteger(name: string, value: string): number {
  if (!/^\d{1,9}$/.test(value)) {
    throw invalid(`${name} must be a non-negative integer`);
  }
  return Number(value);
}

function parseSummary(request: SearchRequest, value: string): void {
  switch (value) {
    case 'true':
    case 'text':
    case 'data':
      request.summary = value;
      return;
    case 'count':
      request.count = 0;
      request.total = 'accurate';
      return;
    case 'false':
      return;
    default:
      throw invalid(`_summary must be true, text, data, count or false`);
  }
}

function parseElements(resourceType: string, value: string): string[] {
  const fields: string[] = [];
  for (const part of value.split(',')) {
    let name = part.trim();
    if (!name) {
      continue;
    }
    if (name.startsWith(resourceType + '.')) {
      name = name.slice(resourceType.length + 1);
    }
    if (!ELEMENT.test(name)) {
      throw invalid(`Invalid _elements value '${truncateForMessage(part)}'`);
    }
    fields.push(name);
  }
  return fields;
}

function parseIncludeTarget(code: string, value: string): IncludeTarget {
  const parts = value.split(':');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !NAME.test(p))) {
    throw invalid(
      `Invalid ${code} value '${truncateForMessage(value)}': expected ResourceType:search-parameter[:targetType]`
    );
  }
  const [resourceType, searchParam, targetType] = parts;
  return targetType ? { resourceType, searchParam, targetType } : { resourceType, searchParam };
}
