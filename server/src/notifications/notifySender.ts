// Sends SMS (and email when there is no SMTP server) through GOV.UK Notify, classifying Notify's error responses.
import { NotifyClient } from 'notifications-node-client';
import { DeliveryError } from './deliveryError.ts';
import type { NotificationSender, OutgoingNotification, SentNotification } from './notificationSender.ts';

/** Identifier system of the GOV.UK Notify notification id of a message we sent. */
export const NOTIFY_NOTIFICATION_ID_SYSTEM = 'http://rpm-platform.org/fhir/identifier/govuk-notify-notification';

/** Notify statuses that will fail the same way however often they are retried (bad request, bad key or template). */
const PERMANENT_STATUSES = new Set([400, 403]);

export interface NotifySenderOptions {
  baseUrl: string;
  apiKey: string;
  /** The template: SMS body `((message))`; email subject `((subject))` and body `((message))`. */
  templateId: string;
  medium: 'sms' | 'email';
  timeoutMs: number;
}

type RestClient = Parameters<NotifyClient['setClient']>[0];

export function notifySender(options: NotifySenderOptions): NotificationSender {
  const client = new NotifyClient(options.baseUrl, options.apiKey);
  // The client's axios has no timeout: wrap its request function to add one.
  const request = client.apiClient.restClient as (config: Record<string, unknown>) => Promise<unknown>;
  client.setClient(((config: Record<string, unknown>) =>
    request({ ...config, timeout: options.timeoutMs })) as unknown as RestClient);

  return {
    async send(message: OutgoingNotification): Promise<SentNotification> {
      try {
        const response =
          options.medium === 'sms'
            ? await client.sendSms(options.templateId, message.to, {
                personalisation: { message: message.text },
                reference: message.reference,
              })
            : await client.sendEmail(options.templateId, message.to, {
                personalisation: { subject: message.subject, message: message.text },
                reference: message.reference,
              });
        const id = response.data?.id;
        if (!id) {
          throw new DeliveryError('GOV.UK Notify accepted the message without returning its id', false);
        }
        return { system: NOTIFY_NOTIFICATION_ID_SYSTEM, messageId: id };
      } catch (error) {
        throw notifyDeliveryError(error);
      }
    },
  };
}

interface NotifyErrorBody {
  status_code?: number;
  errors?: { error?: string; message?: string }[];
}

interface HttpError {
  message?: string;
  code?: string;
  response?: { status?: number; data?: unknown };
}

/** 400 and 403 are permanent; 429, 5xx and network errors are temporary (Notify's documented error responses). */
export function notifyDeliveryError(error: unknown): DeliveryError {
  if (error instanceof DeliveryError) {
    return error;
  }
  const e = (error ?? {}) as HttpError;
  const status = e.response?.status;
  if (status === undefined) {
    return new DeliveryError(`GOV.UK Notify: ${e.code ?? e.message ?? String(error)}`, false, { cause: error });
  }
  const body = (e.response?.data ?? {}) as NotifyErrorBody;
  const reasons = (Array.isArray(body.errors) ? body.errors : [])
    .map((err) => [err.error, err.message].filter(Boolean).join(': '))
    .filter(Boolean);
  const detail = reasons.length > 0 ? reasons.join('; ') : (e.message ?? 'no detail');
  return new DeliveryError(`GOV.UK Notify HTTP ${status}: ${detail}`, PERMANENT_STATUSES.has(status), {
    cause: error,
  });
}
