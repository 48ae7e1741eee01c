// Type-level check, before any resource is looked at: 403 unless some scope (and the role) allows the interaction.
import { forbidden, OperationOutcomeError } from '@medplum/core';
import type { OperationOutcome } from '@medplum/fhirtypes';
import type { Caller } from '../auth/authenticate.ts';
import type { Interaction } from '../auth/smartScopes.ts';
import { refusalOrScopes, type Refusal } from './grants.ts';

/** A 403 OperationOutcome (core's `forbidden`) saying why. */
export function forbiddenBecause(text: string): OperationOutcome {
  return { ...forbidden, issue: [{ severity: 'error', code: 'forbidden', details: { text } }] };
}

function explain(refusal: Refusal, caller: Caller, resourceType: string, interaction: Interaction): string {
  switch (refusal) {
    case 'append-only':
      return `${resourceType} is append-only: it cannot be updated, patched or deleted`;
    case 'server-written':
      return `${resourceType} resources are written by the server and system clients only`;
    case 'role':
      return `A ${caller.role ?? 'user'} account may not ${interaction} ${resourceType} resources`;
    case 'scope':
      return `The access token's scopes do not allow ${interaction} on ${resourceType}`;
  }
}

/** Throws a 403 OperationOutcomeError unless the interaction on the type is granted at all. */
export function assertTypeGranted(caller: Caller, resourceType: string, interaction: Interaction): void {
  const { refusal } = refusalOrScopes(caller, resourceType, interaction);
  if (refusal) {
    throw new OperationOutcomeError(forbiddenBecause(explain(refusal, caller, resourceType, interaction)));
  }
}
