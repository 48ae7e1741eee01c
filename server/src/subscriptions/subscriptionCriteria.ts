// Parses and evaluates a Subscription's criteria: the search (R4 `criteria`) and the optional FHIRPath condition.
import {
  badRequest,
  evalFhirPathTyped,
  isResourceType,
  OperationOutcomeError,
  parseFhirPath,
  parseSearchRequest,
  toTypedValue,
  type SearchRequest,
} from '@medplum/core';
import type { Resource, Subscription } from '@medplum/fhirtypes';
import { compileSearchFilter, type ResourceMatcher } from './compiledFilters.ts';
import { fhirPathCriteriaOf } from './subscriptionExtensions.ts';

/** The parsed criteria of one Subscription. */
export interface SubscriptionCriteria {
  resourceType: string;
  search: SearchRequest;
  /** Present when the Subscription has a FHIRPath criteria extension. */
  fhirPath?: string;
  /** One compiled test per search filter, all of which must pass (built once, run on every write). */
  filters: ResourceMatcher[];
}

/** Parses `criteria` ("Observation?code=http://loinc.org|8867-4"); 400 with the reason when it is unusable. */
export function parseSubscriptionCriteria(subscription: Subscription): SubscriptionCriteria {
  const criteria = subscription.criteria?.trim();
  if (!criteria) {
    throw new OperationOutcomeError(badRequest('Subscription.criteria is required', 'Subscription.criteria'));
  }
  let search: SearchRequest;
  try {
    search = parseSearchRequest(criteria);
  } catch (err) {
    throw new OperationOutcomeError(badRequest(`Invalid criteria: ${(err as Error).message}`, 'Subscription.criteria'));
  }
  if (!isResourceType(search.resourceType)) {
    throw new OperationOutcomeError(
      badRequest(`Criteria must start with a resource type, got "${criteria.slice(0, 80)}"`, 'Subscription.criteria')
    );
  }
  const fhirPath = fhirPathCriteriaOf(subscription);
  if (fhirPath !== undefined) {
    try {
      parseFhirPath(fhirPath);
    } catch (err) {
      throw new OperationOutcomeError(badRequest(`Invalid FHIRPath criteria: ${(err as Error).message}`));
    }
  }
  const filters = (search.filters ?? []).map((filter) => compileSearchFilter(search.resourceType, filter));
  return { resourceType: search.resourceType, search, fhirPath, filters };
}

/** True when the search criteria match the resource (evaluated in memory by @medplum/core). */
export function matchesSearchCriteria(criteria: SubscriptionCriteria, resource: Resource): boolean {
  if (resource.resourceType !== criteria.resourceType) {
    return false;
  }
  return criteria.filters.every((matches) => matches(resource));
}

/** The FHIRPath condition over %current and %previous (an empty object for a create); true when it yields true. */
export function matchesFhirPathCriteria(
  expression: string,
  current: Resource,
  previous: Resource | undefined
): boolean {
  try {
    const result = evalFhirPathTyped(expression, [toTypedValue(current)], {
      '%current': toTypedValue(current),
      '%previous': toTypedValue(previous ?? {}),
    });
    return result.length > 0 && result.every((r) => r.value === true);
  } catch {
    return false;
  }
}
