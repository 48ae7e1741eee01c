// POST DetectedIssue/[id]/$escalate: passes an open alert to a named clinician (a Task for them and their notifications).
import { allOk } from '@medplum/core';
import type { FhirRequest, FhirRepository, FhirResponse } from '@medplum/fhir-router';
import type { Reference } from '@medplum/fhirtypes';
import { callerOf, callingPractitioner, isSystemCaller, readPractitionerLike } from './actingPractitioner.ts';
import { alertSeverity, SEVERITY_WORDS } from './alertCodes.ts';
import { alertTaskIdentifier } from './alertTask.ts';
import { assertOpen, changeAlert } from './changeAlert.ts';
import { ownerOf } from './escalationTargets.ts';
import { withMitigation } from './mitigation.ts';
import { readAlertParameters, type PractitionerReference } from './operationParameters.ts';
import { recordEscalation } from './recordEscalation.ts';

/**
 * Parameters: `practitioner` (Reference to a Practitioner or PractitionerRole, required: who to escalate to),
 * `note` (string, optional; kept on the Task and the mitigation, never put in the email or SMS). Creates a Task
 * (code escalated, status requested, owner the target, requester the caller's Practitioner, focus the alert) and
 * notifications (email and/or SMS, by the target's telecom: a PractitionerRole's own, else its practitioner's), and
 * adds an `escalated` mitigation; the alert stays open. Escalating again to the same person at the same severity:
 * 200, nothing new. Closed alert: 409. Returns the DetectedIssue.
 */
export async function escalateOperation(req: FhirRequest, repo: FhirRepository): Promise<FhirResponse> {
  const input = readAlertParameters(req.body, { note: 'optional', practitioner: 'required' });
  const caller = callerOf(repo);
  const author: Reference | undefined =
    caller && !isSystemCaller(caller) ? callingPractitioner(caller, 'escalate') : undefined;
  const target = input.practitioner as PractitionerReference;
  const targetResource = await readPractitionerLike(repo, target);
  const alert = await changeAlert(repo, req.params.id, async (current, tx) => {
    assertOpen(current, 'escalated');
    const now = new Date();
    const severity = alertSeverity(current);
    const words = SEVERITY_WORDS[severity];
    const record = await recordEscalation(tx, {
      alert: current,
      owners: [await ownerOf(tx, targetResource)],
      taskIdentifier: () => alertTaskIdentifier('escalated', current.id, severity, target.reference),
      now,
      description: `Escalated ${words} alert to you by ${author?.reference ?? 'a system client'}: ${
        current.code?.text ?? 'RPM alert'
      }`,
      mitigationText: `to ${target.reference}${input.note ? ` (${input.note})` : ''}`,
      message: {
        subject: 'RPM alert escalated to you',
        text: `A ${words} remote monitoring alert has been escalated to you by a colleague. Please open the RPM app to review it.`,
      },
      author,
      note: input.note,
    });
    return record.alreadyRecorded ? undefined : withMitigation(current, record.mitigation);
  });
  return [allOk, alert];
}
