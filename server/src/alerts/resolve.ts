// POST DetectedIssue/[id]/$resolve: closes an alert (status final) with a reason, and completes its open Tasks.
import { allOk, type SearchRequest, type WithId } from '@medplum/core';
import type { FhirRequest, FhirRepository, FhirResponse } from '@medplum/fhir-router';
import type { DetectedIssue, Task } from '@medplum/fhirtypes';
import { parseSearchQuery } from '../fhir/search/index.ts';
import { actingPractitioner } from './actingPractitioner.ts';
import { alertSeverity, SEVERITY_WORDS } from './alertCodes.ts';
import { alertTaskIdentifier, alertTaskSearch, buildAlertTask, OPEN_TASK_STATUSES } from './alertTask.ts';
import { assertOpen, changeAlert } from './changeAlert.ts';
import { buildMitigation, withMitigation } from './mitigation.ts';
import { readAlertParameters, type PractitionerReference } from './operationParameters.ts';

/** At most this many open Tasks per alert are completed (more would mean something else is wrong). */
const MAX_OPEN_TASKS = 1000;

/** Every open Task whose focus is the alert becomes completed (executionPeriod.end now, statusReason why). */
async function completeOpenTasks(
  tx: FhirRepository,
  alert: WithId<DetectedIssue>,
  practitioner: PractitionerReference,
  now: Date
): Promise<void> {
  const search = parseSearchQuery('Task', {
    focus: `DetectedIssue/${alert.id}`,
    status: OPEN_TASK_STATUSES.join(','),
    _count: String(MAX_OPEN_TASKS),
  }) as SearchRequest<Task>;
  const bundle = await tx.search<Task>(search);
  const time = now.toISOString();
  for (const entry of bundle.entry ?? []) {
    const task = entry.resource as WithId<Task>;
    await tx.updateResource<Task>(
      {
        ...task,
        status: 'completed',
        statusReason: { text: `Alert resolved by ${practitioner.reference}` },
        lastModified: time,
        executionPeriod: { ...task.executionPeriod, start: task.executionPeriod?.start ?? time, end: time },
      },
      { ifMatch: task.meta?.versionId }
    );
  }
}

/**
 * Parameters: `note` (string, required: the reason or outcome), `practitioner` (as for $acknowledge). Adds a
 * `resolved` mitigation, sets status `final` (closed: the rule raises a new alert for the next breach), completes
 * every open Task of the alert and records a completed Task (code resolved) owned by the practitioner, in one
 * transaction. Closed alert: 409. Returns the DetectedIssue.
 */
export async function resolveOperation(req: FhirRequest, repo: FhirRepository): Promise<FhirResponse> {
  const input = readAlertParameters(req.body, { note: 'required', practitioner: 'optional' });
  const practitioner = await actingPractitioner(repo, input.practitioner, 'resolve');
  const alert = await changeAlert(repo, req.params.id, async (current, tx) => {
    assertOpen(current, 'resolved');
    const now = new Date();
    await completeOpenTasks(tx, current, practitioner, now);
    const identifier = alertTaskIdentifier('resolved', current.id);
    const task = buildAlertTask({
      alert: current,
      action: 'resolved',
      identifier,
      status: 'completed',
      now,
      description: `Resolved ${SEVERITY_WORDS[alertSeverity(current)]} alert: ${current.code?.text ?? 'RPM alert'}`,
      owner: practitioner,
      requester: practitioner,
      note: input.note,
    });
    const stored = (await tx.conditionalCreate(task, alertTaskSearch(identifier))).resource;
    const mitigation = buildMitigation({
      alert: current,
      action: 'resolved',
      now,
      author: practitioner,
      text: input.note,
      tasks: [`Task/${stored.id}`],
    });
    return { ...withMitigation(current, mitigation), status: 'final' };
  });
  return [allOk, alert];
}
