// The dead-letter API on a real server: a failed rest-hook delivery is listed (references only), retried once fixed, discarded.
import type { Observation, OperationOutcome, Patient, Subscription } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SUBSCRIPTION_EXTENSIONS } from '../subscriptions/subscriptionExtensions.ts';
import { startNotificationReceiver, type NotificationReceiver } from '../testing/notificationReceiver.ts';
import { useTestServer } from '../testing/testServer.ts';
import { issueUserToken } from '../testing/userTokens.ts';
import type { DeadLetter } from './deadLetters.ts';

const ctx = useTestServer();
let receiver: NotificationReceiver;
let patient: Patient & { id: string };

beforeAll(async () => {
  receiver = await startNotificationReceiver();
  patient = (await ctx.medplum.createResource<Patient>({
    resourceType: 'Patient',
    name: [{ family: 'Deadletter', given: ['Secretname'] }],
  })) as Patient & { id: string };
});
afterAll(() => receiver?.close());

async function admin(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${ctx.server.baseUrl}/admin/dead-letters${path}`, {
    ...init,
    headers: { authorization: `Bearer ${ctx.medplum.getAccessToken()}` },
  });
}

async function deadLetters(): Promise<DeadLetter[]> {
  const res = await admin('?task=deliver-rest-hook');
  expect(res.status).toBe(200);
  return ((await res.json()) as { deadLetters: DeadLetter[] }).deadLetters;
}

async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() > deadline) {
      return value;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A rest-hook Subscription that gives up after one attempt, and a reading it fails to deliver: one dead letter. */
async function failedDelivery(): Promise<{ subscription: Subscription & { id: string }; letter: DeadLetter }> {
  receiver.respondWith(500);
  const subscription = (await ctx.medplum.createResource<Subscription>({
    resourceType: 'Subscription',
    status: 'active',
    reason: 'dead-letter API test',
    criteria: `Observation?subject=Patient/${patient.id}`,
    extension: [{ url: SUBSCRIPTION_EXTENSIONS.maxAttempts, valueInteger: 1 }],
    channel: { type: 'rest-hook', endpoint: receiver.url, payload: 'application/fhir+json' },
  })) as Subscription & { id: string };
  const reading = await ctx.medplum.createResource<Observation>({
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
    subject: { reference: `Patient/${patient.id}` },
    effectiveDateTime: new Date().toISOString(),
    valueQuantity: { value: 90, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
  });
  const letters = await eventually(deadLetters, (all) =>
    all.some((l) => l.about.includes(`Subscription/${subscription.id}`))
  );
  const letter = letters.find((l) => l.about.includes(`Subscription/${subscription.id}`));
  expect(letter, 'the failed delivery is listed').toBeDefined();
  expect(letter?.about).toContain(`Observation/${reading.id}/_history/${reading.meta?.versionId}`);
  await ctx.medplum.updateResource({ ...subscription, status: 'off' }); // stop it hearing the next test's reading
  return { subscription, letter: letter as DeadLetter };
}

describe('/admin/dead-letters', () => {
  test('lists a dead-lettered delivery with its error and references, never the patient data', async () => {
    const { letter } = await failedDelivery();
    expect(letter).toMatchObject({ task: 'deliver-rest-hook', attempts: 1, maxAttempts: 1 });
    expect(letter.lastError).toMatch(/HTTP 500/);
    expect(Date.parse(letter.failedAt)).toBeGreaterThanOrEqual(Date.parse(letter.queuedAt));
    expect(JSON.stringify(letter)).not.toContain('Secretname');
  });

  test('retry refuses while the Subscription is dead-lettered, then redelivers once it is active again', async () => {
    const { subscription, letter } = await failedDelivery();
    const refused = await admin(`/${letter.id}/retry`, { method: 'POST' });
    expect(refused.status).toBe(409);
    expect(JSON.stringify(await refused.json())).toMatch(/set the Subscription back to active/);

    receiver.respondWith(200);
    const before = receiver.received.length;
    await ctx.medplum.updateResource({ ...subscription, status: 'active', error: undefined });
    const retried = await admin(`/${letter.id}/retry`, { method: 'POST' });
    expect(retried.status).toBe(200);
    expect(await retried.json()).toEqual({ retried: letter.id });
    await receiver.waitFor(before + 1);
    expect(JSON.parse(receiver.received[before].body)).toMatchObject({ resourceType: 'Observation' });
    const after = await eventually(deadLetters, (all) => !all.some((l) => l.id === letter.id));
    expect(after.some((l) => l.id === letter.id)).toBe(false);
    await ctx.medplum.updateResource({ ...subscription, status: 'off' });
  }, 40_000);

  test('discard removes a dead letter; unknown ids are 404s and bad limits 400s', async () => {
    const { letter } = await failedDelivery();
    expect((await admin(`/${letter.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await deadLetters()).some((l) => l.id === letter.id)).toBe(false);
    expect((await admin(`/${letter.id}`, { method: 'DELETE' })).status).toBe(404);
    expect((await admin(`/not-a-number/retry`, { method: 'POST' })).status).toBe(404);
    const bad = await admin('?limit=0');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as OperationOutcome).issue?.[0].code).toBe('invalid');
  }, 40_000);

  test('only administrators: a clinician is refused (403), no token is 401', async () => {
    const token = await issueUserToken(ctx.server, {
      accountId: 'not-an-admin',
      role: 'clinician',
      fhirUser: 'Practitioner/somebody',
      scope: 'user/*.cruds',
    });
    const asClinician = await fetch(`${ctx.server.baseUrl}/admin/dead-letters`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(asClinician.status).toBe(403);
    expect((await fetch(`${ctx.server.baseUrl}/admin/dead-letters`)).status).toBe(401);
  });
});
