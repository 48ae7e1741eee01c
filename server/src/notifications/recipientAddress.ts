// Finds where to send a notification: the recipient's email address or mobile number from its telecom.
import type { ContactPoint, Patient, Practitioner, PractitionerRole, RelatedPerson } from '@medplum/fhirtypes';
import type { NotificationMedium } from './buildNotification.ts';

export type RecipientResource = Practitioner | PractitionerRole | Patient | RelatedPerson;

/** The resource types a notification may be addressed to. */
export const RECIPIENT_TYPES = new Set(['Practitioner', 'PractitionerRole', 'Patient', 'RelatedPerson']);

/**
 * The address for this medium, or undefined. Email: a telecom with system 'email'. SMS: system 'sms', else 'phone'
 * with use 'mobile'. Contact points marked 'old' or whose period has ended are skipped; the lowest rank wins.
 */
export function recipientAddress(
  recipient: RecipientResource,
  medium: NotificationMedium,
  now = new Date()
): string | undefined {
  const usable = (recipient.telecom ?? []).filter((t) => t.value?.trim() && t.use !== 'old' && current(t, now));
  const candidates =
    medium === 'email'
      ? usable.filter((t) => t.system === 'email')
      : [
          ...usable.filter((t) => t.system === 'sms'),
          ...usable.filter((t) => t.system === 'phone' && t.use === 'mobile'),
        ];
  const ranked = candidates
    .map((t, order) => ({ t, order }))
    .sort((a, b) => (a.t.rank ?? Infinity) - (b.t.rank ?? Infinity) || a.order - b.order);
  return ranked[0]?.t.value?.trim();
}

function current(contact: ContactPoint, now: Date): boolean {
  const end = contact.period?.end;
  return !end || new Date(end).getTime() > now.getTime();
}
