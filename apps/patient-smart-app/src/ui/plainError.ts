// Turns a failed FHIR call into short, plain words for a patient, with the server's own explanation after them.
import { getStatus, isOperationOutcome, OperationOutcomeError } from '@medplum/core';
import type { OperationOutcome } from '@medplum/fhirtypes';

const BY_STATUS: Readonly<Record<number, string>> = {
  400: 'This was not accepted.',
  401: 'You have been signed out. Sign in again. What you typed is kept.',
  403: 'You are not allowed to do this.',
  404: 'We could not find this.',
  409: 'This was changed by someone else. Try again.',
  412: 'This was changed by someone else. Try again.',
  422: 'This was not accepted.',
  429: 'Too many tries. Wait a minute and try again.',
};

/**
 * The HTTP status an outcome came with. MedplumClient keeps only the body: the RPM server names the status in the
 * outcome's id (`http-422`); otherwise @medplum/core's guess from the id and issue code.
 */
export function statusOf(outcome: OperationOutcome): number {
  const named = /^http-(\d{3})$/.exec(outcome.id ?? '');
  return named ? Number(named[1]) : getStatus(outcome);
}

function outcomeText(outcome: OperationOutcome): string {
  return (outcome.issue ?? [])
    .map((issue) => issue.diagnostics ?? issue.details?.text)
    .filter(Boolean)
    .join(' ');
}

/** True when the error is "no connection" (fetch failed), not an answer from the server. */
export function isNetworkError(err: unknown): boolean {
  const outcome = err instanceof OperationOutcomeError ? err.outcome : isOperationOutcome(err) ? err : undefined;
  if (outcome) {
    return false;
  }
  const message = err instanceof Error ? err.message : String(err);
  return err instanceof TypeError || /fetch|network|offline/i.test(message);
}

/** A sentence for the user: what went wrong in plain words, then the server's detail when it gave one. */
export function plainError(err: unknown): string {
  const outcome = err instanceof OperationOutcomeError ? err.outcome : isOperationOutcome(err) ? err : undefined;
  if (!outcome) {
    return isNetworkError(err)
      ? 'No internet connection. Try again when you are back online.'
      : `Something went wrong: ${err instanceof Error ? err.message : String(err)}`;
  }
  const status = statusOf(outcome);
  const headline =
    BY_STATUS[status] ?? (status >= 500 ? 'Something went wrong on our side. Try again later.' : 'That did not work.');
  const detail = outcomeText(outcome);
  return detail ? `${headline} ${detail}` : headline;
}
