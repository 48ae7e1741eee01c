// The Communication after a send: completed with the provider's id, retrying with the error shown, or given up.
import type { Communication, Extension } from '@medplum/fhirtypes';
import type { SentNotification } from './notificationSender.ts';

/**
 * Complex extension on a notification Communication recording its delivery: `attempts` (valueInteger, sends tried so
 * far), `lastAttemptAt` (valueDateTime) and, while it is failing, `lastError` (valueString).
 */
export const DELIVERY_EXTENSION_URL = 'http://rpm-platform.org/fhir/StructureDefinition/notification-delivery';

/** Status after a successful send: 'completed', `sent`, the provider's message id as an identifier. */
export function recordSent(
  communication: Communication,
  sent: SentNotification,
  attempts: number,
  now: Date
): Communication {
  const identifier = (communication.identifier ?? []).filter((i) => i.system !== sent.system);
  return {
    ...withoutStatusReason(communication),
    status: 'completed',
    sent: now.toISOString(),
    identifier: [...identifier, { system: sent.system, value: sent.messageId }],
    extension: withDelivery(communication, attempts, now),
  };
}

/** A failed attempt that will be retried: 'in-progress', with the error as statusReason and in the extension. */
export function recordRetrying(
  communication: Communication,
  error: string,
  attempts: number,
  now: Date
): Communication {
  return {
    ...communication,
    status: 'in-progress',
    statusReason: { text: `Attempt ${attempts} failed, will retry: ${error}` },
    extension: withDelivery(communication, attempts, now, error),
  };
}

/** Given up: 'not-done' with the reason; `attempts` is 0 when nothing was tried (no address, not configured). */
export function recordNotDone(
  communication: Communication,
  reason: string,
  attempts: number,
  now: Date
): Communication {
  return {
    ...communication,
    status: 'not-done',
    statusReason: { text: reason },
    extension: withDelivery(communication, attempts, now, reason),
  };
}

/** The delivery extension of a Communication as numbers and text. */
export function deliveryOf(communication: Communication): {
  attempts: number;
  lastError?: string;
  lastAttemptAt?: string;
} {
  const delivery = communication.extension?.find((e) => e.url === DELIVERY_EXTENSION_URL);
  const part = (url: string): Extension | undefined => delivery?.extension?.find((e) => e.url === url);
  return {
    attempts: part('attempts')?.valueInteger ?? 0,
    lastError: part('lastError')?.valueString,
    lastAttemptAt: part('lastAttemptAt')?.valueDateTime,
  };
}

function withDelivery(communication: Communication, attempts: number, now: Date, error?: string): Extension[] {
  const others = (communication.extension ?? []).filter((e) => e.url !== DELIVERY_EXTENSION_URL);
  const parts: Extension[] = [
    { url: 'attempts', valueInteger: attempts },
    { url: 'lastAttemptAt', valueDateTime: now.toISOString() },
  ];
  if (error) {
    parts.push({ url: 'lastError', valueString: error.slice(0, 1000) });
  }
  return [...others, { url: DELIVERY_EXTENSION_URL, extension: parts }];
}

function withoutStatusReason(communication: Communication): Communication {
  const { statusReason: _statusReason, ...rest } = communication;
  return rest;
}
