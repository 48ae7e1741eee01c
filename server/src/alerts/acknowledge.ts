// POST DetectedIssue/[id]/$acknowledge: a clinician takes responsibility for an open alert; it stays open and stops escalating.
import { allOk } from '@medplum/core';
import type { FhirRequest, FhirRepository, FhirResponse } from '@medplum/fhir-router';
import { actingPractitioner } from './actingPractitioner.ts';
import { alertSeverity, SEVERITY_WORDS } from './alertCodes.ts';
import { isAcknowledged } from './alertState.ts';
import { alertTaskIdentifier, alertTaskSearch, buildAlertTask } from './alertTask.ts';
import { assertOpen, changeAlert } from './changeAlert.ts';
import { buildMitigation, withMitigation } from './mitigation.ts';
import { readAlertParameters } from './operationParameters.ts';

/**
 * Parameters: `note` (string, optional), `practitioner` (Reference, optional: default the caller's fhirUser; a system
 * client must give one). Adds an `acknowledged` mitigation (author, date, the severity acknowledged, the Task) and a
 * Task (code acknowledged, status in-progress, owner the practitioner, focus the alert, for the patient,
 * executionPeriod.start now), in one transaction. The alert stays `preliminary` (open) until resolved.
 * Already acknowledged at its current severity (by anyone): 200 with the alert unchanged, nothing written.
 * Closed alert: 409. Returns the DetectedIssue.
 */
export async function acknowledgeOperation(req: FhirRequest, repo: FhirRepository): Promise<FhirResponse> {
  const input = readAlertParameters(req.body, { note: 'optional', practitioner: 'optional' });
  const practitioner = await actingPractitioner(repo, input.practitioner, 'acknowledge');
  const alert = await changeAlert(repo, req.params.id, async (current, tx) => {
    assertOpen(current, 'acknowledged');
    if (isAcknowledged(current)) {
      return undefined;
    }
    const now = new Date();
    const severity = alertSeverity(current);
    const identifier = alertTaskIdentifier('acknowledged', current.id, severity);
    const task = buildAlertTask({
      alert: current,
      action: 'acknowledged',
      identifier,
      status: 'in-progress',
      now,
      description: `Acknowledged ${SEVERITY_WORDS[severity]} alert: ${current.code?.text ?? 'RPM alert'}`,
      owner: practitioner,
      requester: practitioner,
      note: input.note,
    });
    const stored = (await tx.conditionalCreate(task, alertTaskSearch(identifier))).resource;
    return withMitigation(
      current,
      buildMitigation({
        alert: current,
        action: 'acknowledged',
        now,
        author: practitioner,
        text: input.note,
        tasks: [`Task/${stored.id}`],
      })
    );
  });
  return [allOk, alert];
}
