// Turns a committed Communication waiting to be sent (rpm-notification, 'preparation', email or SMS) into a send job.
import type { Communication } from '@medplum/fhirtypes';
import type { Caller } from '../auth/authenticate.ts';
import type { JobSpec } from '../jobs/jobQueue.ts';
import type { ChangeConsumer } from '../subscriptions/committedChange.ts';
import { isRpmNotification, notificationMedium } from './notificationMedium.ts';

export const SEND_NOTIFICATION_TASK = 'send-notification';

/** The payload of a send-notification job. */
export interface SendNotificationPayload {
  /** 'Communication/<id>' */
  communication: string;
}

/**
 * Only the server itself (escalation, alert operations) and administrators or system clients may have the server
 * send an email or SMS: a user allowed to write a Communication for a patient must not be able to make the server
 * message anyone with any text.
 */
export function maySendNotifications(writtenBy: Caller | undefined): boolean {
  if (!writtenBy) {
    return true;
  }
  if (writtenBy.subject) {
    return writtenBy.role === 'admin';
  }
  return writtenBy.scopes.some((scope) => scope.startsWith('system/'));
}

/** The change consumer: one send-notification job (at most `maxAttempts` tries) per pending notification written. */
export function notificationJobs(maxAttempts: number): ChangeConsumer {
  return (change): JobSpec[] => {
    if (!maySendNotifications(change.writtenBy)) {
      return [];
    }
    if (
      change.resourceType !== 'Communication' ||
      (change.interaction !== 'create' && change.interaction !== 'update')
    ) {
      return [];
    }
    const communication = change.resource as Communication;
    if (communication.status !== 'preparation' || !isRpmNotification(communication)) {
      return [];
    }
    if (!notificationMedium(communication)) {
      return [];
    }
    const payload: SendNotificationPayload = { communication: `Communication/${change.id}` };
    return [{ task: SEND_NOTIFICATION_TASK, payload, key: `${SEND_NOTIFICATION_TASK}:${change.id}`, maxAttempts }];
  };
}
