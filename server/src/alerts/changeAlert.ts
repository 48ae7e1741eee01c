// Read-modify-write of one alert in one transaction, with If-Match on the version read and retries on concurrent change.
import { conflict, getStatus, OperationOutcomeError, type WithId } from '@medplum/core';
import type { FhirRepository, TransactionOptions } from '@medplum/fhir-router';
import type { DetectedIssue } from '@medplum/fhirtypes';

/** How often a change is attempted when another writer changed the alert in between (412) or the database refused (409). */
export const MAX_ATTEMPTS = 4;

/** A refusal because of the alert's state (e.g. closed): 409, never retried. */
export class AlertStateError extends OperationOutcomeError {
  constructor(text: string) {
    super(conflict(text));
  }
}

/** 409 unless the alert is open (status preliminary). */
export function assertOpen(alert: DetectedIssue, doing: string): void {
  if (alert.status !== 'preliminary') {
    throw new AlertStateError(
      `DetectedIssue/${alert.id} is closed (status ${alert.status}): it cannot be ${doing}; a new breach raises a new alert`
    );
  }
}

const TRANSACTION_TYPES: TransactionOptions = {
  resourceTypes: ['DetectedIssue', 'Task', 'Communication'] as TransactionOptions['resourceTypes'],
};

function isRetryable(err: unknown): boolean {
  if (!(err instanceof OperationOutcomeError) || err instanceof AlertStateError) {
    return false;
  }
  const status = getStatus(err.outcome);
  return status === 412 || status === 409;
}

/**
 * Reads DetectedIssue/<id> through `repo` (the caller's access applies: 404 out of reach), lets `change` compute the
 * new version (and write related resources through the transaction's repository), and updates the alert with
 * If-Match on the version read. Everything commits together or not at all. When `change` returns undefined nothing is
 * written and the alert is returned as read. On 412/409 (a concurrent writer) it starts again from the read, up to
 * MAX_ATTEMPTS times; `change` must therefore decide from the alert it is given, not from earlier attempts.
 */
export async function changeAlert(
  repo: FhirRepository,
  id: string,
  change: (alert: WithId<DetectedIssue>, tx: FhirRepository) => Promise<DetectedIssue | undefined>
): Promise<WithId<DetectedIssue>> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await repo.withTransaction(async (tx) => {
        const alert = await tx.readResource<DetectedIssue>('DetectedIssue', id);
        const next = await change(alert, tx);
        if (!next) {
          return alert;
        }
        return tx.updateResource<DetectedIssue>({ ...next, id }, { ifMatch: alert.meta?.versionId });
      }, TRANSACTION_TYPES);
    } catch (err) {
      if (attempt >= MAX_ATTEMPTS || !isRetryable(err)) {
        throw err;
      }
    }
  }
}
