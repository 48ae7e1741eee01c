// Read rule: some scope granting the interaction reaches the resource (and its granular query matches it).
import type { Resource } from '@medplum/fhirtypes';
import type { Interaction } from '../auth/smartScopes.ts';
import { reachOf, type CallerAccess } from './callerAccess.ts';
import { compartmentPatients } from './compartmentPatients.ts';
import { grantingScopes } from './grants.ts';
import type { Reach } from './reach.ts';
import { matchesScopeQuery } from './scopeQuery.ts';
import { categoryOf, ownerOf } from './typeRules.ts';

/**
 * Whether the reach holds the resource for reading:
 * - patient data: it is in the compartment of a reached Patient (a Patient: it is one), or is a reached resource;
 * - directory: always, unless it names patients (a Device's `patient`) none of whom is reached;
 * - owned types: the caller's own (their owner tag), or any for an admin;
 * - restricted types: always (only an admin's `user/` scopes grant them).
 */
export function inReadReach(reach: Reach, resource: Resource, patients: () => string[]): boolean {
  switch (categoryOf(resource.resourceType)) {
    case 'restricted':
      return true;
    case 'owned':
      return ownedInReach(reach, resource);
    case 'directory': {
      const linked = patients();
      return linked.length === 0 || linked.some((p) => reach.patients.has(p));
    }
    case 'compartment':
      return (
        reach.resources.has(`${resource.resourceType}/${resource.id}`) || patients().some((p) => reach.patients.has(p))
      );
  }
}

/** True when the caller may see the resource through a `read` (read, vread, history, includes) or `search`. */
export function mayRead(access: CallerAccess, resource: Resource, interaction: Interaction = 'read'): boolean {
  const scopes = grantingScopes(access.caller, resource.resourceType, interaction);
  if (!access.reach) {
    return scopes.length > 0;
  }
  const patients = memo(() => compartmentPatients(resource, access.fhirBaseUrl));
  return scopes.some(
    (s) => inReadReach(reachOf(access, s.context), resource, patients) && matchesScopeQuery(s, resource)
  );
}

/** An owned resource is reached by its owner, and by admins. */
export function ownedInReach(reach: Reach, resource: Resource): boolean {
  return reach.everyOwner === true || (reach.owner !== undefined && ownerOf(resource) === reach.owner);
}

export function memo<T>(compute: () => T): () => T {
  let done = false;
  let value: T;
  return () => {
    if (!done) {
      value = compute();
      done = true;
    }
    return value;
  };
}
