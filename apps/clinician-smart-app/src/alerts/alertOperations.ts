// The server's alert operations ($acknowledge, $resolve, $escalate) on a DetectedIssue, called with the user's token.
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

/**
 * POST DetectedIssue/{id}/$escalate: hands the alert to another clinician (a Practitioner or PractitionerRole), who
 * gets a Task and their notifications; the alert stays open. The note goes on the Task and the mitigation.
 */
export function escalateAlert(
  medplum: MedplumClient,
  alertId: string,
  practitioner: string,
  note?: string
): Promise<DetectedIssue> {
  const parameters = noteParameters(note);
  parameters.parameter = [
    { name: 'practitioner', valueReference: { reference: practitioner } },
    ...(parameters.parameter ?? []),
  ];
  return medplum.post(medplum.fhirUrl('DetectedIssue', alertId, '$escalate'), parameters);
}
