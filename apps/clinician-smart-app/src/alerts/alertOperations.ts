// The server's alert operations ($acknowledge, $resolve) on a DetectedIssue, called with the user's token.
import type { MedplumClient } from '@medplum/core';
import type { DetectedIssue, Parameters } from '@medplum/fhirtypes';

function noteParameters(note: string | undefined): Parameters {
  const text = note?.trim();
  return { resourceType: 'Parameters', parameter: text ? [{ name: 'note', valueString: text }] : [] };
}

/** POST DetectedIssue/{id}/$acknowledge: the signed-in clinician takes the alert on; it stays open. */
export function acknowledgeAlert(medplum: MedplumClient, alertId: string, note?: string): Promise<DetectedIssue> {
  return medplum.post(medplum.fhirUrl('DetectedIssue', alertId, '$acknowledge'), noteParameters(note));
}

/** POST DetectedIssue/{id}/$resolve: closes the alert with its outcome (the note is required). */
export function resolveAlert(medplum: MedplumClient, alertId: string, outcome: string): Promise<DetectedIssue> {
  return medplum.post(medplum.fhirUrl('DetectedIssue', alertId, '$resolve'), noteParameters(outcome));
}
