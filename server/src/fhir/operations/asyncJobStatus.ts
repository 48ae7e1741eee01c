// The asynchronous request pattern's status URL, as Medplum serves it: GET job/[id]/status polls an AsyncJob, DELETE cancels it.
import { accepted, allOk, badRequest, OperationOutcomeError } from '@medplum/core';
import type { FhirRequest, FhirResponse } from '@medplum/fhir-router';
import type { AsyncJob } from '@medplum/fhirtypes';
import { PostgresRepository } from '../repository/postgresRepository.ts';

/**
 * An AsyncJob in one of these states has not ended: its status URL answers 202, it may be cancelled, and it is never
 * removed (jobs/asyncJobRetention.ts).
 */
export const UNFINISHED_STATUSES: readonly AsyncJob['status'][] = ['accepted', 'active'];

/** True while the AsyncJob has not ended (not completed, in error or cancelled). */
export function isUnfinished(job: AsyncJob): boolean {
  return UNFINISHED_STATUSES.includes(job.status);
}

/** The status URL of an AsyncJob (the Content-Location of the 202 that started it). */
export function asyncJobStatusUrl(fhirBaseUrl: string, id: string): string {
  return `${fhirBaseUrl}/job/${id}/status`;
}

function repositoryOf(repo: unknown): PostgresRepository {
  if (!(repo instanceof PostgresRepository)) {
    throw new Error('job/[id]/status needs the PostgreSQL repository');
  }
  return repo;
}

/**
 * GET job/[id]/status: 202 (an OperationOutcome naming this URL) while the AsyncJob is `accepted` or `active`, then
 * 200 with the AsyncJob (`completed` with its output, `error` with an OperationOutcome, or `cancelled`). A client
 * with `pollStatusOnAccepted` (MedplumClient) polls it to the end. Read access to the AsyncJob is required, and an
 * unknown id is 404.
 */
export async function asyncJobStatusOperation(req: FhirRequest, fhirRepo: unknown): Promise<FhirResponse> {
  const repo = repositoryOf(fhirRepo);
  const job = await repo.readResource<AsyncJob>('AsyncJob', req.params.id);
  if (isUnfinished(job)) {
    return [accepted(asyncJobStatusUrl(repo.context.fhirBaseUrl, job.id as string))];
  }
  return [allOk, job];
}

/**
 * DELETE job/[id]/status: cancels an AsyncJob that has not ended (status `cancelled`; a queued bot run that has not
 * started is then skipped) and answers 202, as the FHIR asynchronous pattern asks. Needs update access to the
 * AsyncJob; one that already ended is refused with 400.
 */
export async function cancelAsyncJobOperation(req: FhirRequest, fhirRepo: unknown): Promise<FhirResponse> {
  const repo = repositoryOf(fhirRepo);
  const job = await repo.readResource<AsyncJob>('AsyncJob', req.params.id);
  repo.assertMay('AsyncJob', 'update');
  if (!isUnfinished(job)) {
    throw new OperationOutcomeError(badRequest(`AsyncJob/${job.id} has already ended (${job.status})`));
  }
  await repo.updateResource<AsyncJob>(
    { ...job, status: 'cancelled', transactionTime: new Date().toISOString() },
    { ifMatch: job.meta?.versionId }
  );
  return [accepted(asyncJobStatusUrl(repo.context.fhirBaseUrl, job.id as string))];
}
