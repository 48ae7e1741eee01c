// Type and system history for restricted callers: each type's search restriction, over resource_history rows.
import { getResourceTypes } from '@medplum/core';
import { scopesFor } from '../auth/smartScopes.ts';
import { loadFhirDefinitions } from '../fhir/definitions.ts';
import type { Condition } from '../fhir/search/conditions.ts';
import type { SqlParams } from '../fhir/search/sql.ts';
import type { CallerAccess } from './callerAccess.ts';
import { scopeContexts } from './grants.ts';
import { NOTHING, restrictionFor } from './searchRestriction.ts';

/** SQL boolean on the history row aliased `h` (columns resource_type, id). */
export type HistoryFilter = (p: SqlParams, h: string) => string;

/**
 * The rows of one type's history the caller may see: those of resources currently matching the type's restriction
 * (index rows exist for live resources only, so deleted resources drop out). The repository then checks each
 * version's own content, which may have been outside the reach when it was written.
 */
function typeFilter(condition: Condition): HistoryFilter {
  return (p, h) =>
    condition.ids ? `${h}.id IN (SELECT id FROM (${condition.ids(p)}) s)` : condition.test(p, { id: `${h}.id` });
}

/** undefined when nothing is restricted. */
export function historyFilter(access: CallerAccess, resourceType: string | undefined): HistoryFilter | undefined {
  if (resourceType) {
    const condition = restrictionFor(access, resourceType, 'search');
    return condition ? typeFilter(condition) : undefined;
  }
  // System level: every type some scope names ('*': all types), each with its own restriction.
  loadFhirDefinitions();
  const scopes = scopesFor(access.caller.scopes, scopeContexts(access.caller), '*', 'search');
  const types = scopes.some((s) => s.resourceType === '*')
    ? getResourceTypes()
    : [...new Set(scopes.map((s) => s.resourceType))];
  const free: string[] = [];
  const restricted: { type: string; condition: Condition }[] = [];
  for (const type of types) {
    const condition = restrictionFor(access, type, 'search');
    if (!condition) {
      free.push(type);
    } else if (condition !== NOTHING) {
      restricted.push({ type, condition });
    }
  }
  if (free.length === types.length && scopes.some((s) => s.resourceType === '*')) {
    return undefined;
  }
  return (p, h) => {
    const terms = free.length > 0 ? [`${h}.resource_type = ANY(${p.add(free, 'text[]')})`] : [];
    for (const { type, condition } of restricted) {
      terms.push(`(${h}.resource_type = ${p.add(type, 'text')} AND ${condition.test(p, { id: `${h}.id` })})`);
    }
    return terms.length > 0 ? `(${terms.join(' OR ')})` : 'FALSE';
  };
}
