// Makes delivery failures visible on the Subscription: the latest error, and status `error` once dead-lettered.
import { getStatus, isOperationOutcome, OperationOutcomeError } from '@medplum/core';
import type { Subscription } from '@medplum/fhirtypes';
import type { PostgresRepository } from '../fhir/repository/postgresRepository.ts';

/**
 * Records `message` as Subscription.error; when `deadLetter` is set the status becomes `error` too, which stops
 * further notifications until an administrator sets it back to `active` (R4: the server gave up on it).
 * Retries on a concurrent update; a deleted Subscription is left alone.
 */
export async function recordDeliveryError(
  repo: PostgresRepository,
  subscriptionId: string,
  message: string,
  deadLetter: boolean
): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    let current: Subscription;
    try {
      current = await repo.readResource<Subscription>('Subscription', subscriptionId);
    } catch {
      return;
    }
    const error = message.slice(0, 1000);
    if (current.error === error && (!deadLetter || current.status === 'error')) {
      return;
    }
    try {
      await repo.updateResource(
        { ...current, error, ...(deadLetter ? { status: 'error' as const } : {}) },
        { ifMatch: current.meta?.versionId }
      );
      return;
    } catch (err) {
      const status =
        err instanceof OperationOutcomeError && isOperationOutcome(err.outcome) ? getStatus(err.outcome) : 0;
      if (status !== 412 && status !== 409) {
        throw err;
      }
    }
  }
}
