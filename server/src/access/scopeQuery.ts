// SMART v2 granular scopes (`patient/Observation.rs?category=vital-signs`): the resource must also match the query.
import { matchesSearchRequest, parseSearchRequest, type SearchRequest } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import type { SmartScope } from '../auth/smartScopes.ts';
import { compileFilter, type Condition } from '../fhir/search/conditions.ts';
import { parseSearchQuery } from '../fhir/search/index.ts';
import { constant } from '../fhir/search/rowConditions.ts';

const parsed = new Map<string, SearchRequest | undefined>();

/** The scope's query as a search on the type; undefined when it cannot be parsed (the scope then grants nothing). */
function scopeSearch(query: string, resourceType: string): SearchRequest | undefined {
  const key = `${resourceType}?${query}`;
  if (!parsed.has(key)) {
    let request: SearchRequest | undefined;
    try {
      request = parseSearchRequest(key);
    } catch {
      request = undefined;
    }
    parsed.set(key, request);
  }
  return parsed.get(key);
}

/** In memory, for reads and writes: @medplum/core's matcher. */
export function matchesScopeQuery(scope: SmartScope, resource: Resource): boolean {
  if (!scope.query) {
    return true;
  }
  const request = scopeSearch(scope.query, resource.resourceType);
  if (!request) {
    return false;
  }
  try {
    return matchesSearchRequest(resource, request);
  } catch {
    return false;
  }
}

/**
 * In SQL, for searches: the query's filters compiled like any search filter, so the restriction stays inside the
 * statement (paging and totals stay right). A query the compiler refuses grants nothing.
 */
export function scopeQueryConditions(scope: SmartScope, resourceType: string, fhirBaseUrl: string): Condition[] {
  if (!scope.query) {
    return [];
  }
  try {
    const params: Record<string, string[]> = {};
    for (const [key, value] of new URLSearchParams(scope.query)) {
      (params[key] ??= []).push(value);
    }
    const request = parseSearchQuery(resourceType, params);
    const conditions: Condition[] = [];
    for (const filter of request.filters ?? []) {
      const condition = compileFilter(resourceType, filter, { strict: true, fhirBaseUrl });
      if (condition) {
        conditions.push(condition);
      }
    }
    return conditions.length > 0 ? conditions : [constant(false)];
  } catch {
    return [constant(false)];
  }
}
