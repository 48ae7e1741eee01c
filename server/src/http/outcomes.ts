// Sends FHIR OperationOutcomes with the HTTP status they stand for, including statuses @medplum/core has no name for.
import { getStatus, normalizeOperationOutcome, OperationOutcomeError } from '@medplum/core';
import type { OperationOutcome } from '@medplum/fhirtypes';
import type { Response } from 'express';

export const FHIR_JSON = 'application/fhir+json; charset=utf-8';

/** 405: the path exists but not for this method. */
export function methodNotAllowed(method: string, path: string): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    id: 'method-not-allowed',
    issue: [
      { severity: 'error', code: 'not-supported', details: { text: `Method ${method} is not allowed on ${path}` } },
    ],
  };
}

/** Any HTTP status carried explicitly, for outcomes made outside @medplum/core. */
export function outcomeWithStatus(
  status: number,
  code: NonNullable<OperationOutcome['issue']>[number]['code'],
  text: string
): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    id: `http-${status}`,
    issue: [{ severity: 'error', code, details: { text } }],
  };
}

/** The HTTP status of an outcome. */
export function statusOf(outcome: OperationOutcome): number {
  if (outcome.id === 'method-not-allowed') {
    return 405;
  }
  const explicit = /^http-(\d{3})$/.exec(outcome.id ?? '');
  if (explicit) {
    return Number(explicit[1]);
  }
  return getStatus(outcome);
}

/** Converts anything thrown into an OperationOutcome; unexpected errors are logged and become 500s without details. */
export function outcomeOf(err: unknown): OperationOutcome {
  if (err instanceof OperationOutcomeError) {
    const status = statusOf(err.outcome);
    if (status === 503) {
      console.error('Service unavailable:', (err.cause as Error | undefined)?.message ?? err.message);
      return err.outcome;
    }
    if (status >= 500) {
      console.error('Server error:', (err.cause as Error | undefined)?.stack ?? err.stack);
      return outcomeWithStatus(status, 'exception', 'Internal server error');
    }
    return err.outcome;
  }
  if (
    err &&
    typeof err === 'object' &&
    'resourceType' in err &&
    (err as OperationOutcome).resourceType === 'OperationOutcome'
  ) {
    return normalizeOperationOutcome(err);
  }
  console.error('Server error:', (err as Error)?.stack ?? err);
  return outcomeWithStatus(500, 'exception', 'Internal server error');
}

export function sendOutcome(res: Response, outcome: OperationOutcome): void {
  res
    .status(statusOf(outcome))
    .type(FHIR_JSON)
    .send(JSON.stringify(stripInternalId(outcome)));
}

/** Our status-carrying ids are internal; clients see a plain OperationOutcome. */
function stripInternalId(outcome: OperationOutcome): OperationOutcome {
  if (outcome.id === 'method-not-allowed' || /^http-\d{3}$/.test(outcome.id ?? '')) {
    const { id: _id, ...rest } = outcome;
    return rest;
  }
  return outcome;
}
