// The errors the accounts module throws: OperationOutcomeErrors that carry their HTTP status (400, 404, 409).
import { OperationOutcomeError } from '@medplum/core';
import type { OperationOutcome } from '@medplum/fhirtypes';
import { outcomeWithStatus } from '../http/outcomes.ts';

/** 400 with one issue per problem, so that a client can show every problem at once. */
export function invalidAccountInput(problems: string[]): OperationOutcomeError {
  const outcome: OperationOutcome = {
    resourceType: 'OperationOutcome',
    id: 'http-400',
    issue: problems.map((text) => ({ severity: 'error', code: 'invalid', details: { text } })),
  };
  return new OperationOutcomeError(outcome);
}

/** 404: no account with this id. */
export function accountNotFound(id: string): OperationOutcomeError {
  return new OperationOutcomeError(outcomeWithStatus(404, 'not-found', `No account with id ${id.slice(0, 100)}`));
}

/** 409: the change clashes with what is stored (a taken email, an identity linked elsewhere). */
export function accountConflict(text: string): OperationOutcomeError {
  return new OperationOutcomeError(outcomeWithStatus(409, 'conflict', text));
}
