// Turns a failed FHIR call into words a clinician understands, with the server's own explanation after them.
import { getStatus, isOperationOutcome, OperationOutcomeError } from '@medplum/core';
import type { OperationOutcome } from '@medplum/fhirtypes';

const BY_STATUS: Readonly<Record<number, string>> = {
  400: 'The server did not accept what was sent.',
  401: 'Your session has ended. Sign in again to continue; what you typed is kept.',
  403: 'You are not allowed to do this.',
  404: 'This record was not found, or you no longer have access to it.',
  409: 'Someone else has already changed this record.',
  412: 'Someone else changed this record at the same time. Try again.',
  429: 'The server is busy. Wait a moment and try again.',
};

function outcomeText(outcome: OperationOutcome): string {
  return (outcome.issue ?? [])
    .map((issue) => issue.diagnostics ?? issue.details?.text)
    .filter(Boolean)
    .join(' ');
}

/** A sentence for the user: what went wrong in plain words, then the server's detail when it gave one. */
export function plainError(err: unknown): string {
  const outcome = err instanceof OperationOutcomeError ? err.outcome : isOperationOutcome(err) ? err : undefined;
  if (!outcome) {
    const message = err instanceof Error ? err.message : String(err);
    return /fetch|network/i.test(message)
      ? 'The server could not be reached. Check the connection and try again.'
      : `Something went wrong: ${message}`;
  }
  const status = getStatus(outcome);
  const headline = BY_STATUS[status] ?? (status >= 500 ? 'The server had a problem. Try again.' : 'That did not work.');
  const detail = outcomeText(outcome);
  return detail ? `${headline} ${detail}` : headline;
}
