// Builds the Task recording an action on an alert, with a deterministic identifier for conditional create.
import { parseSearchRequest, type SearchRequest, type WithId } from '@medplum/core';
import type { DetectedIssue, Reference, Task } from '@medplum/fhirtypes';
import {
  ALERT_ACTION_DISPLAY,
  ALERT_ACTION_SYSTEM,
  ALERT_TASK_IDENTIFIER_SYSTEM,
  alertSeverity,
  type AlertAction,
  type AlertSeverity,
} from './alertCodes.ts';

/** Task.priority by alert severity: red asap, amber urgent, low routine. */
const PRIORITY: Readonly<Record<AlertSeverity, NonNullable<Task['priority']>>> = {
  high: 'asap',
  moderate: 'urgent',
  low: 'routine',
};

/**
 * The identifier value of an action's Task, unique per alert and occasion, so a re-run (or a concurrent run) finds
 * the Task instead of creating a second one:
 * - `acknowledged:DetectedIssue/<id>:<severity>` (one acknowledgement per severity),
 * - `resolved:DetectedIssue/<id>`,
 * - `escalated:DetectedIssue/<id>:<severity>:<target>` (a clinician's escalation to one person),
 * - `escalation:DetectedIssue/<id>:<level key>:<owner or "unassigned">` (the schedule's).
 * Values never contain "," or "|" (they would need escaping in a search).
 */
export function alertTaskIdentifier(kind: AlertAction | 'escalation', alertId: string, ...parts: string[]): string {
  const value = [kind, `DetectedIssue/${alertId}`, ...parts].join(':');
  if (/[,|\\$\s]/.test(value)) {
    throw new Error(`Invalid alert Task identifier: ${value}`);
  }
  return value;
}

export interface AlertTaskInput {
  alert: WithId<DetectedIssue>;
  action: AlertAction;
  identifier: string;
  status: 'requested' | 'in-progress' | 'completed';
  now: Date;
  description: string;
  owner?: Reference;
  requester?: Reference;
  note?: string;
}

/** The Task: focus the alert, for the patient, code the action, owner and requester as given. */
export function buildAlertTask(input: AlertTaskInput): Task {
  const { alert, action, identifier, status, now, description, owner, requester, note } = input;
  const time = now.toISOString();
  return {
    resourceType: 'Task',
    identifier: [{ system: ALERT_TASK_IDENTIFIER_SYSTEM, value: identifier }],
    status,
    intent: 'order',
    priority: PRIORITY[alertSeverity(alert)],
    code: { coding: [{ system: ALERT_ACTION_SYSTEM, code: action, display: ALERT_ACTION_DISPLAY[action] }] },
    description,
    focus: { reference: `DetectedIssue/${alert.id}` },
    ...(alert.patient ? { for: alert.patient as Task['for'] } : {}),
    authoredOn: time,
    lastModified: time,
    ...(requester ? { requester: requester as Task['requester'] } : {}),
    ...(owner ? { owner: owner as Task['owner'] } : {}),
    ...(status === 'requested'
      ? {}
      : { executionPeriod: { start: time, ...(status === 'completed' ? { end: time } : {}) } }),
    ...(note ? { note: [{ text: note, time, ...(requester ? { authorReference: requester } : {}) }] } : {}),
  } as Task;
}

/** The conditional-create search for a Task with this identifier value. */
export function alertTaskSearch(identifier: string): SearchRequest<Task> {
  return parseSearchRequest<Task>(
    `Task?identifier=${encodeURIComponent(`${ALERT_TASK_IDENTIFIER_SYSTEM}|${identifier}`)}`
  );
}

/** Task statuses that are still open (not completed, cancelled, failed, rejected or entered-in-error). */
export const OPEN_TASK_STATUSES: readonly NonNullable<Task['status']>[] = [
  'draft',
  'requested',
  'received',
  'accepted',
  'ready',
  'in-progress',
  'on-hold',
];
