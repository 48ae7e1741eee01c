// OperationOutcomes for validation failures, carrying the HTTP status through @medplum/core's getStatus(outcome).
import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';

/**
 * 400 Bad Request: the resource failed basic FHIR validation (R4 http.html, create/update). getStatus() maps an
 * outcome without a known id to 400.
 */
export function invalidResource(issues: OperationOutcomeIssue[]): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: issues };
}

/**
 * 422 Unprocessable Entity: the resource violated an applicable profile (R4 http.html, create/update). The id
 * "business-rule" is the one getStatus() maps to 422.
 */
export function profileViolation(issues: OperationOutcomeIssue[]): OperationOutcome {
  return { resourceType: 'OperationOutcome', id: 'business-rule', issue: issues };
}

/** True when any issue is an error or fatal. */
export function hasErrors(issues: readonly OperationOutcomeIssue[]): boolean {
  return issues.some((issue) => issue.severity === 'error' || issue.severity === 'fatal');
}
