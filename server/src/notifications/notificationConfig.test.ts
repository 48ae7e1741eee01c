// Notification settings from the environment: defaults, every variable, and clear errors for malformed values.
import { describe, expect, test } from 'vitest';
import { DEFAULT_EMAIL_FROM, DEFAULT_NOTIFY_BASE_URL, loadNotificationConfig } from './notificationConfig.ts';

const API_KEY = 'rpm_live-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0';

describe('loadNotificationConfig', () => {
  test('defaults: nothing configured, 8 attempts, the public Notify API', () => {
    expect(loadNotificationConfig({})).toMatchObject({
      smtpUrl: undefined,
      emailFrom: DEFAULT_EMAIL_FROM,
      notifyApiKey: undefined,
      notifyBaseUrl: DEFAULT_NOTIFY_BASE_URL,
      notifySmsTemplateId: undefined,
      notifyEmailTemplateId: undefined,
      maxAttempts: 8,
    });
  });

  test('reads every variable', () => {
    expect(
      loadNotificationConfig({
        RPM_SMTP_URL: 'smtp://user:pass@mail.example.org:587',
        RPM_EMAIL_FROM: 'RPM alerts <alerts@example.org>',
        RPM_NOTIFY_API_KEY: API_KEY,
        RPM_NOTIFY_BASE_URL: 'https://notify.example.org/',
        RPM_NOTIFY_SMS_TEMPLATE_ID: 'f33517ff-2a88-4f6e-b855-c550268ce08a',
        RPM_NOTIFY_EMAIL_TEMPLATE_ID: '9d751e0e-f929-4891-82a1-a3e1c3c18ee3',
        RPM_NOTIFICATION_MAX_ATTEMPTS: '3',
      })
    ).toMatchObject({
      smtpUrl: 'smtp://user:pass@mail.example.org:587',
      emailFrom: 'RPM alerts <alerts@example.org>',
      notifyApiKey: API_KEY,
      notifyBaseUrl: 'https://notify.example.org',
      notifySmsTemplateId: 'f33517ff-2a88-4f6e-b855-c550268ce08a',
      notifyEmailTemplateId: '9d751e0e-f929-4891-82a1-a3e1c3c18ee3',
      maxAttempts: 3,
    });
  });

  test.each([
    [{ RPM_SMTP_URL: 'mail.example.org' }, /RPM_SMTP_URL must be a URL/],
    [{ RPM_SMTP_URL: 'http://mail.example.org' }, /smtp:\/\/ or smtps:\/\//],
    [{ RPM_EMAIL_FROM: 'not an address' }, /RPM_EMAIL_FROM/],
    [{ RPM_NOTIFY_API_KEY: 'secret' }, /RPM_NOTIFY_API_KEY must be a GOV.UK Notify API key/],
    [{ RPM_NOTIFY_BASE_URL: 'ftp://x' }, /RPM_NOTIFY_BASE_URL must be an http\(s\) URL/],
    [{ RPM_NOTIFY_SMS_TEMPLATE_ID: 'welcome' }, /RPM_NOTIFY_SMS_TEMPLATE_ID must be a GOV.UK Notify template id/],
    [{ RPM_NOTIFY_EMAIL_TEMPLATE_ID: '123' }, /RPM_NOTIFY_EMAIL_TEMPLATE_ID/],
    [{ RPM_NOTIFICATION_MAX_ATTEMPTS: '0' }, /RPM_NOTIFICATION_MAX_ATTEMPTS must be a whole number from 1 to 25/],
    [{ RPM_NOTIFICATION_MAX_ATTEMPTS: 'eight' }, /RPM_NOTIFICATION_MAX_ATTEMPTS/],
  ])('refuses %o', (env, message) => {
    expect(() => loadNotificationConfig(env)).toThrow(message);
  });
});
