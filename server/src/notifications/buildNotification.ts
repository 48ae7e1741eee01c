// Builds the Communication that records one alert notification to one recipient by one medium, before it is sent.
import { createHash } from 'node:crypto';
import type {
  Communication,
  DetectedIssue,
  Patient,
  Practitioner,
  PractitionerRole,
  Reference,
  RelatedPerson,
  Task,
} from '@medplum/fhirtypes';

/** Category of every Communication this module sends. */
export const NOTIFICATION_CATEGORY_SYSTEM = 'http://rpm-platform.org/fhir/CodeSystem/rpm-notification';
export const ALERT_NOTIFICATION_CODE = 'alert';
/** Identifier system of notification Communications (deterministic values: see notificationIdentifier). */
export const NOTIFICATION_IDENTIFIER_SYSTEM = 'http://rpm-platform.org/fhir/identifier/notification';
export const PARTICIPATION_MODE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-ParticipationMode';

export type NotificationMedium = 'email' | 'sms';

/** The v3-ParticipationMode code of each medium. */
export const MEDIUM_CODES: Record<NotificationMedium, string> = { email: 'EMAILWRIT', sms: 'SMSWRIT' };

export type NotificationRecipient = Reference<Practitioner | PractitionerRole | Patient | RelatedPerson>;

export interface AlertNotificationInput {
  /** The alert; must have an id (it is referenced from `about`). */
  alert: DetectedIssue;
  recipient: NotificationRecipient;
  medium: NotificationMedium;
  /** The message body; keep patient-identifiable detail out of it. */
  text: string;
  /** Email subject line (ignored for SMS). */
  subject?: string;
  /** The escalation step that caused this notification, if any. */
  escalationTask?: Reference<Task>;
}

/** Default wording without patient-identifiable detail, as NHS practice asks for email and SMS. */
export const DEFAULT_ALERT_SUBJECT = 'RPM alert needs your review';
export const DEFAULT_ALERT_TEXT = 'A remote monitoring alert needs your review. Please open the RPM app to see it.';

/**
 * The identifier value of the notification for this alert, recipient, medium and occasion (the escalation Task, or
 * else the alert's version): the same inputs always give the same value, so a conditional create on it (If-None-Exist)
 * never creates a second Communication for the same notification.
 */
export function notificationIdentifier(input: Omit<AlertNotificationInput, 'text' | 'subject'>): string {
  const { alert, recipient, medium, escalationTask } = input;
  if (!alert.id) {
    throw new Error('buildAlertNotification: the alert must have an id');
  }
  const recipientKey = recipient.reference ?? recipient.identifier?.value;
  if (!recipientKey) {
    throw new Error('buildAlertNotification: the recipient must have a reference');
  }
  const occasion = escalationTask?.reference
    ? `task:${escalationTask.reference}`
    : `version:${alert.meta?.versionId ?? 'unversioned'}`;
  const key = ['DetectedIssue/' + alert.id, recipientKey, medium, occasion].join('|');
  return createHash('sha256').update(key).digest('hex').slice(0, 40);
}

/** The search query that finds the notification by its identifier (for If-None-Exist). */
export function notificationIdentifierQuery(communication: Communication): string {
  const identifier = communication.identifier?.find((i) => i.system === NOTIFICATION_IDENTIFIER_SYSTEM);
  if (!identifier?.value) {
    throw new Error('Communication has no notification identifier');
  }
  return `identifier=${encodeURIComponent(`${NOTIFICATION_IDENTIFIER_SYSTEM}|${identifier.value}`)}`;
}

/** A Communication in status 'preparation' that the notification module will send once it is stored. */
export function buildAlertNotification(input: AlertNotificationInput): Communication {
  const { alert, recipient, medium, text, subject, escalationTask } = input;
  if (!MEDIUM_CODES[medium]) {
    throw new Error(`buildAlertNotification: unknown medium ${String(medium)}`);
  }
  const value = notificationIdentifier(input);
  const communication: Communication = {
    resourceType: 'Communication',
    identifier: [{ system: NOTIFICATION_IDENTIFIER_SYSTEM, value }],
    status: 'preparation',
    category: [{ coding: [{ system: NOTIFICATION_CATEGORY_SYSTEM, code: ALERT_NOTIFICATION_CODE }] }],
    medium: [{ coding: [{ system: PARTICIPATION_MODE_SYSTEM, code: MEDIUM_CODES[medium] }] }],
    recipient: [recipient],
    about: [{ reference: `DetectedIssue/${alert.id}` }, ...(escalationTask ? [escalationTask] : [])],
    payload: [{ contentString: text }],
  };
  if (alert.patient) {
    communication.subject = alert.patient as Communication['subject'];
  }
  if (subject !== undefined) {
    communication.topic = { text: subject };
  }
  return communication;
}
