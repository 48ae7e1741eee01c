// Chooses each medium's sender from the configuration: email by SMTP (or Notify without SMTP), SMS by GOV.UK Notify.
import type { NotificationConfig } from './notificationConfig.ts';
import { DEFAULT_REQUEST_TIMEOUT_MS } from './notificationConfig.ts';
import type { NotificationChannels } from './notificationSender.ts';
import { notifySender } from './notifySender.ts';
import { smtpEmailSender } from './smtpEmailSender.ts';

export function notificationChannels(config: NotificationConfig): NotificationChannels {
  const channels: NotificationChannels = { senders: {}, unavailable: {} };
  const timeoutMs = config.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  if (config.smtpUrl) {
    channels.senders.email = smtpEmailSender({ smtpUrl: config.smtpUrl, from: config.emailFrom, timeoutMs });
  } else if (config.notifyApiKey && config.notifyEmailTemplateId) {
    channels.senders.email = notifySender({
      baseUrl: config.notifyBaseUrl,
      apiKey: config.notifyApiKey,
      templateId: config.notifyEmailTemplateId,
      medium: 'email',
      timeoutMs,
    });
  } else {
    channels.unavailable.email =
      'Email is not configured: set RPM_SMTP_URL (or RPM_NOTIFY_API_KEY and RPM_NOTIFY_EMAIL_TEMPLATE_ID)';
  }
  if (config.notifyApiKey && config.notifySmsTemplateId) {
    channels.senders.sms = notifySender({
      baseUrl: config.notifyBaseUrl,
      apiKey: config.notifyApiKey,
      templateId: config.notifySmsTemplateId,
      medium: 'sms',
      timeoutMs,
    });
  } else {
    channels.unavailable.sms = 'SMS is not configured: set RPM_NOTIFY_API_KEY and RPM_NOTIFY_SMS_TEMPLATE_ID';
  }
  return channels;
}

/** Closes every sender that holds connections (the SMTP transport). */
export async function closeChannels(channels: NotificationChannels): Promise<void> {
  for (const sender of Object.values(channels.senders)) {
    await sender?.close?.();
  }
}
