// Subscriptions with rest-hook channels against a real server: matching, signatures, transactions, retries, dead letters.
import crypto from 'node:crypto';
import type { Bundle, Observation, Subscription } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startNotificationReceiver, type NotificationReceiver } from '../testing/notificationReceiver.ts';
import { useTestServer } from '../testing/testServer.ts';
import { SUBSCRIPTION_EXTENSIONS } from './subscriptionExtensions.ts';

const ctx = useTestServer();

/** A stored Patient's id: the server refuses readings about a patient that does not exist. */
async function storedPatientId(): Promise<string> {
  return (await ctx.medplum.createResource({ resourceType: 'Patient' })).id as string;
}
let receiver: NotificationReceiver;

beforeAll(async () => {
  receiver = await startNotificationReceiver();
});
afterAll(() => receiver?.close());

function observation(patient: string, value: number): Observation {
  return {
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
    subject: { reference: `Patient/${patient}` },
    effectiveDateTime: new Date().toISOString(),
    valueQuantity: { value, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
  };
}

async function subscribe(patient: string, extra: Partial<Subscription> = {}): Promise<Subscription> {
  return ctx.medplum.createResource<Subscription>({
    resourceType: 'Subscription',
    status: 'requested',
    reason: 'test',
    criteria: `Observation?subject=Patient/${patient}`,
    channel: { type: 'rest-hook', endpoint: receiver.url, payload: 'application/fhir+json' },
    ...extra,
  });
}

async function waitUntil<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() > deadline) {
      return value;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('rest-hook Subscriptions', () => {
  test('a requested Subscription becomes active; bad criteria and channels are 400s', async () => {
    const subscription = await subscribe(crypto.randomUUID());
    expect(subscription.status).toBe('active');
    for (const bad of [
      { criteria: 'NotAType?x=1' },
      { criteria: '' },
      { channel: { type: 'email' as const, endpoint: 'mailto:a@b.c' } },
      { channel: { type: 'rest-hook' as const, endpoint: 'ftp://example.org' } },
      { channel: { type: 'rest-hook' as const, endpoint: receiver.url, header: ['no colon here'] } },
    ]) {
      const response = await ctx.api('Subscription', {
        method: 'POST',
        body: JSON.stringify({
          resourceType: 'Subscription',
          status: 'requested',
          reason: 't',
          criteria: 'Observation',
          channel: { type: 'rest-hook', endpoint: receiver.url },
          ...bad,
        }),
      });
      expect(response.status, JSON.stringify(bad)).toBe(400);
      expect(((await response.json()) as { resourceType: string }).resourceType).toBe('OperationOutcome');
    }
  });

  test('a matching write is POSTed once with the resource, custom headers and an HMAC signature', async () => {
    const patient = await storedPatientId();
    const secret = 'test-secret-123';
    await subscribe(patient, {
      extension: [{ url: SUBSCRIPTION_EXTENSIONS.secret, valueString: secret }],
      channel: {
        type: 'rest-hook',
        endpoint: receiver.url,
        payload: 'application/fhir+json',
        header: ['Authorization: Bearer receiver-token', 'X-Ward: north'],
      },
    });
    const before = receiver.received.length;
    await ctx.medplum.createResource(observation(await storedPatientId(), 70)); // Another patient: no notification.
    const created = await ctx.medplum.createResource(observation(patient, 71));
    const [hit] = (await receiver.waitFor(before + 1)).slice(before);
    const body = JSON.parse(hit.body) as Observation;
    expect(body.id).toBe(created.id);
    expect(body.meta?.versionId).toBe(created.meta?.versionId);
    expect(hit.headers.authorization).toBe('Bearer receiver-token');
    expect(hit.headers['x-ward']).toBe('north');
    expect(hit.headers['content-type']).toBe('application/fhir+json');
    expect(hit.headers['x-signature']).toBe(crypto.createHmac('sha256', secret).update(hit.body).digest('hex'));
    await new Promise((r) => setTimeout(r, 500));
    expect(receiver.received.filter((r) => r.body.includes(patient))).toHaveLength(1);
  });

  test('a rolled-back transaction notifies nothing; a committed one notifies every entry', async () => {
    const patient = await storedPatientId();
    await subscribe(patient);
    const failing: Bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { request: { method: 'POST', url: 'Observation' }, resource: observation(patient, 80) },
        { request: { method: 'PUT', url: 'Observation/does-not-matter' }, resource: { resourceType: 'Patient' } },
      ],
    };
    expect((await ctx.api('', { method: 'POST', body: JSON.stringify(failing) })).status).toBeGreaterThanOrEqual(400);
    const ok: Bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [81, 82, 83].map((v) => ({
        request: { method: 'POST' as const, url: 'Observation' },
        resource: observation(patient, v),
      })),
    };
    expect((await ctx.api('', { method: 'POST', body: JSON.stringify(ok) })).status).toBe(200);
    await waitUntil(
      async () => receiver.received.filter((r) => r.body.includes(patient)).length,
      (n) => n >= 3
    );
    await new Promise((r) => setTimeout(r, 500));
    const values = receiver.received
      .filter((r) => r.body.includes(patient))
      .map((r) => (JSON.parse(r.body) as Observation).valueQuantity?.value)
      .sort();
    expect(values).toEqual([81, 82, 83]);
  });

  test('interaction and FHIRPath criteria extensions choose which changes notify', async () => {
    const patient = await storedPatientId();
    await subscribe(patient, {
      extension: [
        { url: SUBSCRIPTION_EXTENSIONS.interaction, valueCode: 'update' },
        {
          url: SUBSCRIPTION_EXTENSIONS.fhirPathCriteria,
          valueString: "%previous.status = 'preliminary' and %current.status = 'final'",
        },
      ],
    });
    const created = await ctx.medplum.createResource({ ...observation(patient, 90), status: 'preliminary' });
    await ctx.medplum.updateResource({ ...created, valueQuantity: { ...created.valueQuantity, value: 91 } });
    const final = await ctx.medplum.updateResource({
      ...(await ctx.medplum.readResource('Observation', created.id as string)),
      status: 'final',
    });
    const hits = await waitUntil(
      async () => receiver.received.filter((r) => r.body.includes(patient)),
      (h) => h.length >= 1
    );
    await new Promise((r) => setTimeout(r, 500));
    expect(receiver.received.filter((r) => r.body.includes(patient))).toHaveLength(1);
    expect((JSON.parse(hits[0].body) as Observation).meta?.versionId).toBe(final.meta?.versionId);
  });

  test('failures retry with back-off, show on Subscription.error, and dead-letter the Subscription', async () => {
    const failing = await startNotificationReceiver();
    failing.respondWith(503);
    try {
      const patient = await storedPatientId();
      const subscription = await ctx.medplum.createResource<Subscription>({
        resourceType: 'Subscription',
        status: 'active',
        reason: 'dead letter test',
        criteria: `Observation?subject=Patient/${patient}`,
        extension: [{ url: SUBSCRIPTION_EXTENSIONS.maxAttempts, valueInteger: 2 }],
        channel: { type: 'rest-hook', endpoint: failing.url },
      });
      await ctx.medplum.createResource(observation(patient, 100));
      const dead = await waitUntil(
        () => ctx.medplum.readResource('Subscription', subscription.id as string),
        (s) => s.status === 'error',
        20_000
      );
      expect(failing.received).toHaveLength(2);
      expect(failing.received[1].at - failing.received[0].at).toBeGreaterThan(2000); // e^1 s back-off
      expect(dead.status).toBe('error');
      expect(dead.error).toMatch(/Gave up delivering Observation\/.+ after 2 attempts: HTTP 503/);
      // A dead-lettered Subscription is not notified again until someone re-activates it.
      await ctx.medplum.createResource(observation(patient, 101));
      await new Promise((r) => setTimeout(r, 1000));
      expect(failing.received).toHaveLength(2);
    } finally {
      await failing.close();
    }
  }, 30_000);
});
