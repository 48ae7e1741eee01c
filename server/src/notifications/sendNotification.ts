// The send-notification job: sends one pending Communication by its medium and records the outcome on it.
import { getStatus, isGone, isNotFound, OperationOutcomeError, type WithId } from '@medplum/core';
import type { FhirRepository } from '@medplum/fhir-router';
import type { Communication } from '@medplum/fhirtypes';
import type { JobHandler } from '../jobs/jobQueue.ts';
import { DEFAULT_ALERT_SUBJECT, NOTIFICATION_IDENTIFIER_SYSTEM } from './buildNotification.ts';
import { asDeliveryError } from './deliveryError.ts';
import { recordNotDone, recordRetrying, recordSent } from './deliveryStatus.ts';
import { notificationMedium } from './notificationMedium.ts';
import type { SendNotificationPayload } from './notificationJobs.ts';
import type {
  NotificationChannels,
  NotificationSender,
  OutgoingNotification,
  SentNotification,
} from './notificationSender.ts';
import { resolveRecipient } from './resolveRecipient.ts';

export interface SendNotificationDeps {
  /** Reads and writes as the server itself. */
  repo: FhirRepository;
  channels: NotificationChannels;
  now?: () => Date;
}

/** Statuses in which a Communication is still to be sent; any other is left alone. */
const SENDABLE = new Set<Communication['status']>(['preparation', 'in-progress']);
const COMMUNICATION_REFERENCE = /^Communication\/([A-Za-z0-9\-.]{1,64})$/;
/** Tries at recording an outcome when the Communication changes between our read and our write. */
const WRITE_TRIES = 3;

/** What a send would need, or why it cannot happen at all. */
type Delivery = { sender: NotificationSender; message: OutgoingNotification } | { impossible: string };

export function sendNotificationHandler(deps: SendNotificationDeps): JobHandler {
  const now = deps.now ?? (() => new Date());
  return async (payload, { attempts, maxAttempts }) => {
    const id = communicationId(payload);
    const communication = await readCommunication(deps.repo, id);
    if (!communication || !SENDABLE.has(communication.status)) {
      return; // Deleted, already sent or given up: nothing to do (the job may run more than once).
    }
    let sent: SentNotification;
    try {
      const delivery = await planDelivery(deps, communication);
      if ('impossible' in delivery) {
        await recordOutcome(deps.repo, communication, (c) => recordNotDone(c, delivery.impossible, 0, now()));
        return;
      }
      sent = await delivery.sender.send(delivery.message);
    } catch (error) {
      const failure = asDeliveryError(error);
      if (failure.permanent) {
        const reason = `Not delivered, the provider refused it: ${failure.message}`;
        await recordOutcome(deps.repo, communication, (c) => recordNotDone(c, reason, attempts, now()));
        return;
      }
      if (attempts >= maxAttempts) {
        const reason = `Not delivered after ${attempts} attempts: ${failure.message}`;
        await recordOutcome(deps.repo, communication, (c) => recordNotDone(c, reason, attempts, now()));
        return;
      }
      await recordOutcome(deps.repo, communication, (c) => recordRetrying(c, failure.message, attempts, now()));
      throw failure;
    }
    await recordOutcome(deps.repo, communication, (c) => recordSent(c, sent, attempts, now()), true);
  };
}

function communicationId(payload: unknown): string {
  const reference = (payload as Partial<SendNotificationPayload> | null)?.communication;
  const match = typeof reference === 'string' ? COMMUNICATION_REFERENCE.exec(reference) : null;
  if (!match) {
    throw new Error(
      `send-notification: payload.communication must be 'Communication/<id>' (got ${JSON.stringify(reference)})`
    );
  }
  return match[1];
}

async function readCommunication(repo: FhirRepository, id: string): Promise<WithId<Communication> | undefined> {
  try {
    return await repo.readResource<Communication>('Communication', id);
  } catch (error) {
    if (error instanceof OperationOutcomeError && (isNotFound(error.outcome) || isGone(error.outcome))) {
      return undefined;
    }
    throw error;
  }
}

/** The channel, address and text of the message, or why it cannot be sent (missing medium, channel, text, address). */
async function planDelivery(deps: SendNotificationDeps, communication: Communication): Promise<Delivery> {
  const medium = notificationMedium(communication);
  if (!medium) {
    return { impossible: 'The Communication has no email (EMAILWRIT) or SMS (SMSWRIT) medium' };
  }
  const sender = deps.channels.senders[medium];
  if (!sender) {
    return { impossible: deps.channels.unavailable[medium] ?? `No ${medium} channel is configured` };
  }
  const text = communication.payload?.find((p) => p.contentString?.trim())?.contentString;
  if (!text) {
    return { impossible: 'The Communication has no payload text (payload.contentString)' };
  }
  if ((communication.recipient ?? []).length !== 1) {
    return { impossible: 'A notification Communication must have exactly one recipient' };
  }
  const recipient = await resolveRecipient(deps.repo, communication.recipient?.[0], medium);
  if ('missing' in recipient) {
    return { impossible: recipient.missing };
  }
  const reference =
    communication.identifier?.find((i) => i.system === NOTIFICATION_IDENTIFIER_SYSTEM)?.value ??
    `Communication/${communication.id}`;
  return {
    sender,
    message: { to: recipient.address, subject: communication.topic?.text ?? DEFAULT_ALERT_SUBJECT, text, reference },
  };
}

/**
 * Writes the outcome with If-Match on the version read. If someone changed the Communication meanwhile, the outcome is
 * applied again to the newest version; a failure is not recorded over a Communication that is no longer sendable, while
 * a send that happened (`always`) is recorded regardless, since sending again would duplicate the message.
 */
async function recordOutcome(
  repo: FhirRepository,
  read: WithId<Communication>,
  outcome: (communication: Communication) => Communication,
  always = false
): Promise<void> {
  let current: WithId<Communication> | undefined = read;
  for (let attempt = 1; current; attempt++) {
    if (current !== read && !always && !SENDABLE.has(current.status)) {
      return;
    }
    try {
      await repo.updateResource(outcome(current), { ifMatch: current.meta?.versionId });
      return;
    } catch (error) {
      const conflict = error instanceof OperationOutcomeError && getStatus(error.outcome) === 412;
      if (!conflict || attempt >= WRITE_TRIES) {
        throw error;
      }
    }
    current = await readCommunication(repo, read.id);
  }
}
