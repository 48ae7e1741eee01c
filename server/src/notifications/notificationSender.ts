// What every channel (SMTP email, GOV.UK Notify SMS or email) offers: send one message to one address.
import type { NotificationMedium } from './buildNotification.ts';

export interface OutgoingNotification {
  /** Email address or phone number. */
  to: string;
  /** Email subject (SMS has none). */
  subject: string;
  text: string;
  /** Our identifier of the notification, passed to providers that keep a reference. */
  reference: string;
}

export interface SentNotification {
  /** The identifier system of the provider's message id. */
  system: string;
  /** The provider's id of the accepted message. */
  messageId: string;
}

/** Sends one message; throws a DeliveryError when it was not accepted. */
export interface NotificationSender {
  send(message: OutgoingNotification): Promise<SentNotification>;
  close?(): Promise<void>;
}

/** The channels available; a medium without one is reported by `unavailable[medium]`. */
export interface NotificationChannels {
  senders: Partial<Record<NotificationMedium, NotificationSender>>;
  unavailable: Partial<Record<NotificationMedium, string>>;
}
