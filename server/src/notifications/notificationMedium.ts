// Recognises a Communication of this module (the rpm-notification category) and the medium it is to be sent by.
import type { Communication } from '@medplum/fhirtypes';
import {
  MEDIUM_CODES,
  NOTIFICATION_CATEGORY_SYSTEM,
  PARTICIPATION_MODE_SYSTEM,
  type NotificationMedium,
} from './buildNotification.ts';

/** True when the Communication has a category coding from the rpm-notification code system. */
export function isRpmNotification(communication: Communication): boolean {
  return (communication.category ?? []).some((c) =>
    (c.coding ?? []).some((coding) => coding.system === NOTIFICATION_CATEGORY_SYSTEM && coding.code)
  );
}

/** 'email' for EMAILWRIT, 'sms' for SMSWRIT (the first such medium coding), otherwise undefined. */
export function notificationMedium(communication: Communication): NotificationMedium | undefined {
  for (const medium of communication.medium ?? []) {
    for (const coding of medium.coding ?? []) {
      if (coding.system !== PARTICIPATION_MODE_SYSTEM) {
        continue;
      }
      for (const [name, code] of Object.entries(MEDIUM_CODES) as [NotificationMedium, string][]) {
        if (coding.code === code) {
          return name;
        }
      }
    }
  }
  return undefined;
}
