// Reads the notification settings (SMTP, GOV.UK Notify, retry limit) from the environment, refusing malformed values.

export interface NotificationConfig {
  /** SMTP server for email, e.g. smtp://user:pass@host:587 or smtps://host:465; email goes by SMTP when set. */
  smtpUrl?: string;
  /** The From address of emails. */
  emailFrom: string;
  /** GOV.UK Notify API key (`name-serviceId-secret`); needed for SMS (and for email when there is no SMTP). */
  notifyApiKey?: string;
  /** GOV.UK Notify API base URL. */
  notifyBaseUrl: string;
  /** Notify SMS template whose body is exactly `((message))`. */
  notifySmsTemplateId?: string;
  /** Notify email template (subject `((subject))`, body `((message))`), used only when there is no SMTP server. */
  notifyEmailTemplateId?: string;
  /** Attempts of one send before the Communication is given up as not-done. */
  maxAttempts: number;
  /** Give up one SMTP or Notify request after this long, milliseconds. */
  requestTimeoutMs?: number;
}

export const DEFAULT_NOTIFY_BASE_URL = 'https://api.notifications.service.gov.uk';
export const DEFAULT_EMAIL_FROM = 'RPM alerts <no-reply@localhost>';
export const DEFAULT_MAX_ATTEMPTS = 8;
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A Notify API key ends with the service id and the secret key, both UUIDs. */
const NOTIFY_API_KEY =
  /-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EMAIL_FROM = /^(?:[^<>]*<[^\s@<>]+@[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+)$/;

export function loadNotificationConfig(env: NodeJS.ProcessEnv = process.env): NotificationConfig {
  return {
    smtpUrl: smtpUrl(env.RPM_SMTP_URL),
    emailFrom: emailFrom(env.RPM_EMAIL_FROM),
    notifyApiKey: notifyApiKey(env.RPM_NOTIFY_API_KEY),
    notifyBaseUrl: httpUrl('RPM_NOTIFY_BASE_URL', env.RPM_NOTIFY_BASE_URL) ?? DEFAULT_NOTIFY_BASE_URL,
    notifySmsTemplateId: templateId('RPM_NOTIFY_SMS_TEMPLATE_ID', env.RPM_NOTIFY_SMS_TEMPLATE_ID),
    notifyEmailTemplateId: templateId('RPM_NOTIFY_EMAIL_TEMPLATE_ID', env.RPM_NOTIFY_EMAIL_TEMPLATE_ID),
    maxAttempts: positiveInteger(
      'RPM_NOTIFICATION_MAX_ATTEMPTS',
      env.RPM_NOTIFICATION_MAX_ATTEMPTS,
      1,
      25,
      DEFAULT_MAX_ATTEMPTS
    ),
    requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
  };
}

function present(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function smtpUrl(value: string | undefined): string | undefined {
  const text = present(value);
  if (!text) {
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error('RPM_SMTP_URL must be a URL such as smtp://user:pass@host:587 or smtps://host:465');
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') {
    throw new Error(`RPM_SMTP_URL must start with smtp:// or smtps:// (got ${url.protocol}//)`);
  }
  if (!url.hostname) {
    throw new Error('RPM_SMTP_URL has no host');
  }
  return text;
}

function emailFrom(value: string | undefined): string {
  const text = present(value);
  if (!text) {
    return DEFAULT_EMAIL_FROM;
  }
  if (!EMAIL_FROM.test(text)) {
    throw new Error(
      'RPM_EMAIL_FROM must be an address such as alerts@example.org or "RPM alerts <alerts@example.org>"'
    );
  }
  return text;
}

function notifyApiKey(value: string | undefined): string | undefined {
  const text = present(value);
  if (text && !NOTIFY_API_KEY.test(text)) {
    throw new Error('RPM_NOTIFY_API_KEY must be a GOV.UK Notify API key: <key name>-<service id>-<secret key>');
  }
  return text;
}

function httpUrl(name: string, value: string | undefined): string | undefined {
  const text = present(value);
  if (!text) {
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`${name} must be an http(s) URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error(`${name} must be an http(s) URL`);
  }
  return text.replace(/\/+$/, '');
}

function templateId(name: string, value: string | undefined): string | undefined {
  const text = present(value);
  if (text && !UUID.test(text)) {
    throw new Error(`${name} must be a GOV.UK Notify template id (a UUID)`);
  }
  return text;
}

function positiveInteger(name: string, value: string | undefined, min: number, max: number, fallback: number): number {
  const text = present(value);
  if (!text) {
    return fallback;
  }
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new Error(`${name} must be a whole number from ${min} to ${max} (got "${text}")`);
  }
  return Number(text);
}
