// Records one escalation of an alert: a Task per owner and their email/SMS notifications, each created at most once.
import type { SearchRequest, WithId } from '@medplum/core';
import type { FhirRepository } from '@medplum/fhir-router';
import type { Communication, DetectedIssue, DetectedIssueMitigation, Reference, Task } from '@medplum/fhirtypes';
import { PostgresRepository } from '../fhir/repository/postgresRepository.ts';
import { parseSearchQuery } from '../fhir/search/index.ts';
import {
  buildAlertNotification,
  NOTIFICATION_IDENTIFIER_SYSTEM,
  type NotificationMedium,
} from '../notifications/buildNotification.ts';
import { recipientAddress } from '../notifications/recipientAddress.ts';
import { alertTaskSearch, buildAlertTask } from './alertTask.ts';
import type { EscalationOwner } from './escalationTargets.ts';
import { buildMitigation } from './mitigation.ts';

const MEDIUMS: readonly NotificationMedium[] = ['email', 'sms'];

export interface EscalationMessage {
  subject: string;
  /** No patient-identifiable detail: it goes out by email and SMS. */
  text: string;
}

export interface EscalationRecordInput {
  alert: WithId<DetectedIssue>;
  owners: readonly EscalationOwner[];
  /** The deterministic identifier value of each owner's Task. */
  taskIdentifier: (owner: EscalationOwner) => string;
  now: Date;
  /** Task.description. */
  description: string;
  /** Words after "Escalated: " in the mitigation. */
  mitigationText: string;
  message: EscalationMessage;
  /** The practitioner escalating (absent for the schedule). */
  author?: Reference;
  note?: string;
  /** The policy level carried out (schedule only). */
  levelKey?: string;
}

export interface EscalationRecord {
  tasks: WithId<Task>[];
  notifications: WithId<Communication>[];
  mitigation: DetectedIssueMitigation;
  /** True when every Task existed already and the alert's mitigation names them: nothing new was recorded. */
  alreadyRecorded: boolean;
}

/** Creates the Communication unless one with its identifier exists (a re-run finds it). */
async function storeNotification(repo: FhirRepository, notification: Communication): Promise<WithId<Communication>> {
  const value = notification.identifier?.find((i) => i.system === NOTIFICATION_IDENTIFIER_SYSTEM)?.value;
  const search = parseSearchQuery('Communication', { identifier: `${NOTIFICATION_IDENTIFIER_SYSTEM}|${value}` });
  return (await repo.conditionalCreate(notification, search as SearchRequest<Communication>)).resource;
}

/** One notification per medium, to the first of the owner's contacts with an address for it. */
async function notifyOwner(
  repo: FhirRepository,
  alert: WithId<DetectedIssue>,
  task: WithId<Task>,
  owner: EscalationOwner,
  message: EscalationMessage,
  now: Date
): Promise<WithId<Communication>[]> {
  const sent: WithId<Communication>[] = [];
  for (const medium of MEDIUMS) {
    const contact = owner.contacts.find((c) => recipientAddress(c, medium, now));
    if (contact) {
      const notification = buildAlertNotification({
        alert,
        recipient: { reference: `${contact.resourceType}/${contact.id}` },
        medium,
        text: message.text,
        subject: message.subject,
        escalationTask: { reference: `Task/${task.id}` },
      });
      sent.push(await storeNotification(repo, notification));
    }
  }
  return sent;
}

/**
 * Through `repo` (inside the alert's transaction): for each owner a Task (status requested, code escalated, owner,
 * focus the alert) by conditional create on its identifier, and for each Task the owner's notifications by
 * conditional create on theirs; then the `escalated` mitigation naming the Tasks. The caller adds the mitigation to
 * the alert (unless alreadyRecorded).
 */
export async function recordEscalation(repo: FhirRepository, input: EscalationRecordInput): Promise<EscalationRecord> {
  const { alert, owners, now, description, message, author, note, levelKey } = input;
  const tasks: WithId<Task>[] = [];
  const notifications: WithId<Communication>[] = [];
  for (const owner of owners) {
    const identifier = input.taskIdentifier(owner);
    const task = buildAlertTask({
      alert,
      action: 'escalated',
      identifier,
      status: 'requested',
      now,
      description,
      owner: owner.owner,
      requester: author,
      note,
    });
    const stored = (await repo.conditionalCreate(task, alertTaskSearch(identifier))).resource;
    tasks.push(stored);
    // Only the server may have an email or SMS sent (notifications/notificationJobs.ts): the caller's access to the
    // alert was checked by the operation; the notifications are written as the server, in the same transaction.
    const server = repo instanceof PostgresRepository ? repo.asServer() : repo;
    notifications.push(...(await notifyOwner(server, alert, stored, owner, message, now)));
  }
  const taskReferences = tasks.map((t) => `Task/${t.id}`);
  const recorded = new Set(
    (alert.mitigation ?? []).flatMap((m) => (m.extension ?? []).map((e) => e.valueReference?.reference ?? ''))
  );
  return {
    tasks,
    notifications,
    mitigation: buildMitigation({
      alert,
      action: 'escalated',
      now,
      author,
      text: input.mitigationText,
      tasks: taskReferences,
      levelKey,
    }),
    alreadyRecorded: taskReferences.length > 0 && taskReferences.every((r) => recorded.has(r)),
  };
}
