// The send-notification job end to end: real PostgreSQL, a real SMTP server and a Notify-speaking HTTP server.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { parseSearchRequest, type WithId } from '@medplum/core';
import type { Communication, DetectedIssue, Practitioner, Reference } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { BackgroundModule } from '../background.ts';
import { PostgresRepository } from '../fhir/repository/postgresRepository.ts';
import type { JobHandler } from '../jobs/jobQueue.ts';
import { freePort } from '../testing/freePort.ts';
import { useTestServer } from '../testing/testServer.ts';
import {
  buildAlertNotification,
  DEFAULT_ALERT_TEXT,
  notificationIdentifierQuery,
  type NotificationMedium,
} from './buildNotification.ts';
import { DELIVERY_EXTENSION_URL, deliveryOf } from './deliveryStatus.ts';
import { notificationModule } from './index.ts';
import type { NotificationConfig } from './notificationConfig.ts';
import { NOTIFY_NOTIFICATION_ID_SYSTEM } from './notifySender.ts';
import { saveNotification } from './saveNotification.ts';
import { SMTP_MESSAGE_ID_SYSTEM } from './smtpEmailSender.ts';
import { startTestNotifyServer, type TestNotifyServer } from './testNotifyServer.ts';
import { startTestSmtpServer, type TestSmtpServer } from './testSmtpServer.ts';

// Jobs are not run by this server (the handler is called directly) and go to a schema of this file's own.
const ctx = useTestServer({ RPM_RUN_JOBS: 'false', RPM_JOB_SCHEMA: `notifications_${randomBytes(4).toString('hex')}` });

let smtp: TestSmtpServer;
let notify: TestNotifyServer;
let repo: PostgresRepository;
let config: NotificationConfig;
let module: BackgroundModule;
const modules: BackgroundModule[] = [];

beforeAll(async () => {
  smtp = await startTestSmtpServer();
  notify = await startTestNotifyServer();
  repo = new PostgresRepository(ctx.server.pool, { fhirBaseUrl: ctx.server.fhirBaseUrl });
  config = {
    smtpUrl: smtp.url,
    emailFrom: 'RPM alerts <alerts@rpm.test>',
    notifyApiKey: notify.apiKey,
    notifyBaseUrl: notify.baseUrl,
    notifySmsTemplateId: notify.smsTemplateId,
    maxAttempts: 8,
    requestTimeoutMs: 5_000,
  };
  module = moduleWith({});
});

afterAll(async () => {
  for (const m of modules) {
    await m.close?.();
  }
  await smtp?.close();
  await notify?.close();
});

function moduleWith(overrides: Partial<NotificationConfig>): BackgroundModule {
  const created = notificationModule({ systemRepo: repo }, { ...config, ...overrides });
  modules.push(created);
  return created;
}

function unique(): string {
  return randomBytes(5).toString('hex');
}

/** A patient's alert and a clinician with an email address and a mobile number (or the telecom given). */
async function alertFor(telecom?: Practitioner['telecom']): Promise<{
  alert: WithId<DetectedIssue>;
  clinician: WithId<Practitioner>;
  email: string;
  mobile: string;
}> {
  const email = `dr-${unique()}@nhs.test`;
  const mobile = `077009${String(Math.floor(Math.random() * 100_000)).padStart(5, '0')}`;
  const patient = await repo.createResource({ resourceType: 'Patient', name: [{ family: 'Testpatient' }] });
  const clinician = await repo.createResource<Practitioner>({
    resourceType: 'Practitioner',
    name: [{ family: 'Clinician' }],
    telecom: telecom ?? [
      { system: 'email', value: email },
      { system: 'phone', value: mobile, use: 'mobile' },
    ],
  });
  const alert = await repo.createResource<DetectedIssue>({
    resourceType: 'DetectedIssue',
    status: 'final',
    severity: 'high',
    patient: { reference: `Patient/${patient.id}` },
  });
  return { alert, clinician, email, mobile };
}

async function pendingNotification(
  alert: WithId<DetectedIssue>,
  recipient: Reference,
  medium: NotificationMedium,
  subject = 'RPM alert'
): Promise<WithId<Communication>> {
  const built = buildAlertNotification({
    alert,
    recipient: recipient as Reference<Practitioner>,
    medium,
    text: DEFAULT_ALERT_TEXT,
    subject,
  });
  return (await saveNotification(repo, built)).communication;
}

function send(m: BackgroundModule, id: string, attempts = 1, maxAttempts = 8): Promise<void> {
  const handler = m.tasks?.['send-notification'] as JobHandler;
  return handler({ communication: `Communication/${id}` }, { attempts, maxAttempts, jobId: `test-${attempts}` });
}

function read(id: string): Promise<WithId<Communication>> {
  return repo.readResource<Communication>('Communication', id);
}

function emailsTo(address: string): typeof smtp.received {
  return smtp.received.filter((m) => m.to.includes(address));
}

function smsTo(phone: string): typeof notify.requests {
  return notify.requests.filter((r) => r.path === '/v2/notifications/sms' && r.body.phone_number === phone);
}

describe('email by SMTP', () => {
  test('delivers the email and completes the Communication with the Message-ID', async () => {
    const { alert, clinician, email } = await alertFor();
    const pending = await pendingNotification(alert, { reference: `Practitioner/${clinician.id}` }, 'email');

    await send(module, pending.id);

    const [received, ...more] = emailsTo(email);
    expect(more).toHaveLength(0);
    expect(received.from).toBe('alerts@rpm.test');
    expect(received.to).toEqual([email]);
    expect(received.subject).toBe('RPM alert');
    expect(received.text).toBe(DEFAULT_ALERT_TEXT);
    expect(received.headers['x-rpm-notification']).toBe(pending.identifier?.[0].value);

    const done = await read(pending.id);
    expect(done.status).toBe('completed');
    expect(Date.now() - new Date(done.sent as string).getTime()).toBeLessThan(60_000);
    expect(done.identifier).toContainEqual({ system: SMTP_MESSAGE_ID_SYSTEM, value: received.headers['message-id'] });
    expect(done.statusReason).toBeUndefined();
    expect(deliveryOf(done)).toMatchObject({ attempts: 1, lastError: undefined });
  });

  test('running the job again sends nothing more', async () => {
    const { alert, clinician, email } = await alertFor();
    const pending = await pendingNotification(alert, { reference: `Practitioner/${clinician.id}` }, 'email');
    await send(module, pending.id);
    const completed = await read(pending.id);

    await send(module, pending.id, 2);

    expect(emailsTo(email)).toHaveLength(1);
    expect((await read(pending.id)).meta?.versionId).toBe(completed.meta?.versionId);
  });

  test('a temporary refusal (451) shows the error, throws for a retry, and the retry delivers', async () => {
    const { alert, clinician, email } = await alertFor();
    const pending = await pendingNotification(alert, { reference: `Practitioner/${clinician.id}` }, 'email');
    smtp.refuse(email, 451);

    await expect(send(module, pending.id, 1)).rejects.toThrow(/451/);

    const failing = await read(pending.id);
    expect(failing.status).toBe('in-progress');
    expect(failing.statusReason?.text).toMatch(/^Attempt 1 failed, will retry: SMTP: 451 .*refused/);
    expect(deliveryOf(failing)).toMatchObject({ attempts: 1, lastError: expect.stringMatching(/451/) });
    expect(emailsTo(email)).toHaveLength(0);

    smtp.refuse(email, null);
    await send(module, pending.id, 2);
    const done = await read(pending.id);
    expect(done.status).toBe('completed');
    expect(done.statusReason).toBeUndefined();
    expect(deliveryOf(done).attempts).toBe(2);
    expect(emailsTo(email)).toHaveLength(1);
  });

  test('an unreachable SMTP server is a temporary failure', async () => {
    const closedPort = await freePort();
    const unreachable = moduleWith({ smtpUrl: `smtp://127.0.0.1:${closedPort}` });
    const { alert, clinician } = await alertFor();
    const pending = await pendingNotification(alert, { reference: `Practitioner/${clinician.id}` }, 'email');

    await expect(send(unreachable, pending.id, 3)).rejects.toThrow(/ECONNREFUSED|ECONNECTION/);
    const failing = await read(pending.id);
    expect(failing.status).toBe('in-progress');
    expect(failing.statusReason?.text).toMatch(/Attempt 3 failed/);
  });

  test('a permanent refusal (550) is not-done at once', async () => {
    const { alert, clinician, email } = await alertFor();
    const pending = await pendingNotification(alert, { reference: `Practitioner/${clinician.id}` }, 'email');
    smtp.refuse(email, 550);

    await send(module, pending.id, 1);

    const failed = await read(pending.id);
    expect(failed.status).toBe('not-done');
    expect(failed.statusReason?.text).toMatch(/refused it: SMTP: 550/);
  });

  test('the last attempt that fails gives up as not-done without throwing', async () => {
    const { alert, clinician, email } = await alertFor();
    const pending = await pendingNotification(alert, { reference: `Practitioner/${clinician.id}` }, 'email');
    smtp.refuse(email, 421);

    await send(module, pending.id, 8, 8);

    const failed = await read(pending.id);
    expect(failed.status).toBe('not-done');
    expect(failed.statusReason?.text).toMatch(/^Not delivered after 8 attempts: SMTP: 421/);
    expect(deliveryOf(failed).attempts).toBe(8);
  });

  test('an edit while the email is in flight is kept: the outcome is applied again after If-Match fails', async () => {
    const { alert, clinician, email } = await alertFor();
    const pending = await pendingNotification(alert, { reference: `Practitioner/${clinician.id}` }, 'email');
    smtp.beforeAccept = async (message) => {
      if (message.to.includes(email)) {
        const current = await read(pending.id);
        await repo.updateResource({ ...current, note: [{ text: 'Also phoned the ward' }] });
      }
    };
    try {
      await send(module, pending.id);
    } finally {
      smtp.beforeAccept = undefined;
    }

    const done = await read(pending.id);
    expect(done.status).toBe('completed');
    expect(done.note).toEqual([{ text: 'Also phoned the ward' }]);
    expect(emailsTo(email)).toHaveLength(1);
    const history = await repo.readHistory<Communication>('Communication', pending.id);
    expect(history.entry?.map((e) => e.resource?.status)).toEqual(['completed', 'preparation', 'preparation']);
  });

  test('a recipient without an email address is not-done, nothing sent', async () => {
    const { alert, clinician } = await alertFor([{ system: 'phone', value: '07700900123', use: 'mobile' }]);
    const pending = await pendingNotification(alert, { reference: `Practitioner/${clinician.id}` }, 'email');
    const before = smtp.received.length;

    await send(module, pending.id);

    const failed = await read(pending.id);
    expect(failed.status).toBe('not-done');
    expect(failed.statusReason?.text).toBe(
      `The recipient Practitioner/${clinician.id} has no email address (telecom system 'email')`
    );
    expect(deliveryOf(failed).attempts).toBe(0);
    expect(smtp.received.length).toBe(before);
  });

  test('a PractitionerRole without telecom is reached through its Practitioner', async () => {
    const { alert, clinician, email } = await alertFor();
    const role = await repo.createResource({
      resourceType: 'PractitionerRole',
      practitioner: { reference: `Practitioner/${clinician.id}` },
    });
    const pending = await pendingNotification(alert, { reference: `PractitionerRole/${role.id}` }, 'email');

    await send(module, pending.id);

    expect(emailsTo(email)).toHaveLength(1);
    expect((await read(pending.id)).status).toBe('completed');
  });
});

describe('SMS by GOV.UK Notify', () => {
  test('sends through the Notify API with a signed token and completes with the Notify id', async () => {
    const { alert, clinician, mobile } = await alertFor();
    const pending = await pendingNotification(alert, { reference: `Practitioner/${clinician.id}` }, 'sms');

    await send(module, pending.id);

    const [request, ...more] = smsTo(mobile);
    expect(more).toHaveLength(0);
    expect(request.method).toBe('POST');
    expect(request.authorization).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    expect(request.claims?.iss).toBe(notify.serviceId);
    expect(request.body).toEqual({
      phone_number: mobile,
      template_id: notify.smsTemplateId,
      personalisation: { message: DEFAULT_ALERT_TEXT },
      reference: pending.identifier?.[0].value,
    });
    expect(request.status).toBe(201);

    const done = await read(pending.id);
    expect(done.status).toBe('completed');
    expect(done.sent).toBeDefined();
    expect(done.identifier).toContainEqual({ system: NOTIFY_NOTIFICATION_ID_SYSTEM, value: request.reply?.id });
  });

  test('Notify 500 shows the error and throws for a retry; 429 likewise', async () => {
    const { alert, clinician } = await alertFor();
    const pending = await pendingNotification(alert, { reference: `Practitioner/${clinician.id}` }, 'sms');
    notify.failNext({ status: 500, errors: [{ error: 'Exception', message: 'Internal server error' }] });

    await expect(send(module, pending.id, 1)).rejects.toThrow(
      'GOV.UK Notify HTTP 500: Exception: Internal server error'
    );
    const failing = await read(pending.id);
    expect(failing.status).toBe('in-progress');
    expect(failing.statusReason?.text).toBe(
      'Attempt 1 failed, will retry: GOV.UK Notify HTTP 500: Exception: Internal server error'
    );
    expect(failing.extension?.find((e) => e.url === DELIVERY_EXTENSION_URL)?.extension).toEqual([
      { url: 'attempts', valueInteger: 1 },
      { url: 'lastAttemptAt', valueDateTime: expect.any(String) },
      { url: 'lastError', valueString: 'GOV.UK Notify HTTP 500: Exception: Internal server error' },
    ]);

    notify.failNext({
      status: 429,
      errors: [
        { error: 'RateLimitError', message: 'Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds' },
      ],
    });
    await expect(send(module, pending.id, 2)).rejects.toThrow(/HTTP 429: RateLimitError/);
    expect(deliveryOf(await read(pending.id)).attempts).toBe(2);

    await send(module, pending.id, 3);
    expect((await read(pending.id)).status).toBe('completed');
  });

  test('the final attempt failing with a 500 is not-done', async () => {
    const { alert, clinician } = await alertFor();
    const pending = await pendingNotification(alert, { reference: `Practitioner/${clinician.id}` }, 'sms');
    notify.failNext({ status: 500, errors: [{ error: 'Exception', message: 'Internal server error' }] });

    await send(module, pending.id, 5, 5);

    const failed = await read(pending.id);
    expect(failed.status).toBe('not-done');
    expect(failed.statusReason?.text).toBe(
      'Not delivered after 5 attempts: GOV.UK Notify HTTP 500: Exception: Internal server error'
    );
  });

  test('a 400 from Notify (not a mobile number) is not-done at once', async () => {
    const { alert, clinician } = await alertFor([{ system: 'sms', value: '020 7946 0000' }]);
    const pending = await pendingNotification(alert, { reference: `Practitioner/${clinician.id}` }, 'sms');

    await send(module, pending.id, 1);

    const failed = await read(pending.id);
    expect(failed.status).toBe('not-done');
    expect(failed.statusReason?.text).toBe(
      'Not delivered, the provider refused it: GOV.UK Notify HTTP 400: ValidationError: phone_number Not a UK mobile number'
    );
    expect(smsTo('020 7946 0000')[0].status).toBe(400);
  });

  test('a 403 (wrong API key) is not-done at once', async () => {
    const wrongKey = moduleWith({ notifyApiKey: `rpm_test-${notify.serviceId}-00000000-0000-4000-8000-000000000000` });
    const { alert, clinician } = await alertFor();
    const pending = await pendingNotification(alert, { reference: `Practitioner/${clinician.id}` }, 'sms');

    await send(wrongKey, pending.id, 1);

    const failed = await read(pending.id);
    expect(failed.status).toBe('not-done');
    expect(failed.statusReason?.text).toMatch(/HTTP 403: AuthError: Invalid token/);
  });

  test('without Notify configuration an SMS is not-done with the reason', async () => {
    const noSms = moduleWith({ notifyApiKey: undefined, notifySmsTemplateId: undefined });
    const { alert, clinician, mobile } = await alertFor();
    const pending = await pendingNotification(alert, { reference: `Practitioner/${clinician.id}` }, 'sms');

    await send(noSms, pending.id);

    const failed = await read(pending.id);
    expect(failed.status).toBe('not-done');
    expect(failed.statusReason?.text).toBe(
      'SMS is not configured: set RPM_NOTIFY_API_KEY and RPM_NOTIFY_SMS_TEMPLATE_ID'
    );
    expect(smsTo(mobile)).toHaveLength(0);
  });

  test('without SMTP, email goes through a Notify email template', async () => {
    const notifyEmail = moduleWith({ smtpUrl: undefined, notifyEmailTemplateId: notify.emailTemplateId });
    const { alert, clinician, email } = await alertFor();
    const pending = await pendingNotification(alert, { reference: `Practitioner/${clinician.id}` }, 'email', 'Alert');

    await send(notifyEmail, pending.id);

    const request = notify.requests.find((r) => r.body.email_address === email);
    expect(request?.path).toBe('/v2/notifications/email');
    expect(request?.body).toMatchObject({
      template_id: notify.emailTemplateId,
      personalisation: { subject: 'Alert', message: DEFAULT_ALERT_TEXT },
    });
    const done = await read(pending.id);
    expect(done.status).toBe('completed');
    expect(done.identifier).toContainEqual({ system: NOTIFY_NOTIFICATION_ID_SYSTEM, value: request?.reply?.id });
    expect(emailsTo(email)).toHaveLength(0);
  });
});

describe('providers that never answer', () => {
  let silent: net.Server;
  let silentPort: number;
  const sockets = new Set<net.Socket>();

  beforeAll(async () => {
    silent = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentPort = (silent.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    sockets.forEach((s) => s.destroy());
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  test('a Notify request without answer times out as a temporary failure', async () => {
    const hanging = moduleWith({ notifyBaseUrl: `http://127.0.0.1:${silentPort}`, requestTimeoutMs: 300 });
    const { alert, clinician } = await alertFor();
    const pending = await pendingNotification(alert, { reference: `Practitioner/${clinician.id}` }, 'sms');

    await expect(send(hanging, pending.id)).rejects.toThrow(/GOV.UK Notify: ECONNABORTED/);
    expect((await read(pending.id)).status).toBe('in-progress');
  });

  test('an SMTP server that never greets times out as a temporary failure', async () => {
    const hanging = moduleWith({ smtpUrl: `smtp://127.0.0.1:${silentPort}`, requestTimeoutMs: 300 });
    const { alert, clinician } = await alertFor();
    const pending = await pendingNotification(alert, { reference: `Practitioner/${clinician.id}` }, 'email');

    await expect(send(hanging, pending.id)).rejects.toThrow(/^SMTP: (Timeout|Greeting never received)/);
    expect((await read(pending.id)).status).toBe('in-progress');
  });
});

describe('storing notifications', () => {
  test('the conditional create stores one Communication per notification, and the module queues its send', async () => {
    const { alert, clinician } = await alertFor();
    const input = {
      alert,
      recipient: { reference: `Practitioner/${clinician.id}` } as Reference<Practitioner>,
      medium: 'sms' as const,
      text: DEFAULT_ALERT_TEXT,
    };
    const first = await saveNotification(repo, buildAlertNotification(input));
    const second = await saveNotification(repo, buildAlertNotification({ ...input, text: 'again' }));
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(second.communication.id).toBe(first.communication.id);
    const found = await repo.searchResources<Communication>(
      parseSearchRequest<Communication>(`Communication?${notificationIdentifierQuery(first.communication)}`)
    );
    expect(found).toHaveLength(1);

    const c = first.communication;
    expect(
      module.onChange?.({
        resourceType: 'Communication',
        id: c.id,
        versionId: c.meta?.versionId as string,
        interaction: 'create',
        resource: c,
      })
    ).toEqual([
      {
        task: 'send-notification',
        payload: { communication: `Communication/${c.id}` },
        key: `send-notification:${c.id}`,
        maxAttempts: 8,
      },
    ]);
  });

  test('a deleted Communication is left alone', async () => {
    const { alert, clinician, email } = await alertFor();
    const pending = await pendingNotification(alert, { reference: `Practitioner/${clinician.id}` }, 'email');
    await repo.deleteResource('Communication', pending.id);
    await send(module, pending.id);
    expect(emailsTo(email)).toHaveLength(0);
  });
});
