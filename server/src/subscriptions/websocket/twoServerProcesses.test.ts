// End to end across two server processes and the real Redis: a write through one instance reaches a websocket bound on
// the other, with a raw WebSocket and with @medplum/core's MedplumClient.subscribeToCriteria.
import crypto from 'node:crypto';
import { MedplumClient, type SubscriptionEmitter } from '@medplum/core';
import type { Bundle, Observation, Parameters, Patient, Subscription } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startServerProcess, type ServerProcess } from '../../testing/serverProcess.ts';
import { TEST_ADMIN } from '../../testing/testServer.ts';
import { notificationOf, openTestSocket, statusOf } from './testSocket.ts';

const REDIS_URL = process.env.REDIS_URL;

// Needs a real Redis: CI runs the suite once with REDIS_URL (this test runs) and once without any services.
describe.runIf(REDIS_URL)('websocket notifications across two server processes through Redis', () => {
  let first: ServerProcess;
  let second: ServerProcess;
  let token: string;

  beforeAll(async () => {
    const env = {
      REDIS_URL,
      // One deployment: both instances run the same job queue (its own, apart from other test files' servers).
      RPM_JOB_SCHEMA: `jobs_ws_${crypto.randomUUID().replaceAll('-', '').slice(0, 12)}`,
      RPM_BUILT_IN_BOTS: 'false',
    };
    first = await startServerProcess(env);
    // Behind one load balancer both instances have the same public BASE_URL (the tokens' audience). Every write goes
    // through the first, and the second runs no jobs: notify() is only ever called on the first, delivery crosses Redis.
    second = await startServerProcess({ ...env, BASE_URL: first.baseUrl, RPM_RUN_JOBS: 'false' });
    const response = await fetch(`${first.directUrl}/oauth2/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${TEST_ADMIN.clientId}:${TEST_ADMIN.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials&scope=system/*.cruds',
    });
    token = ((await response.json()) as { access_token: string }).access_token;
  }, 90_000);
  afterAll(async () => {
    await first?.stop();
    await second?.stop();
  });

  async function fhir<T>(server: ServerProcess, method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${server.directUrl}/fhir/R4/${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body ? { 'content-type': 'application/fhir+json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    const json = (await response.json()) as T;
    if (!response.ok) {
      throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
    }
    return json;
  }

  const observation = (patientId: string): Observation => ({
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }] },
    subject: { reference: `Patient/${patientId}` },
    valueQuantity: { value: 88, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
  });

  test('an Observation created through the first instance arrives on a socket bound on the second', async () => {
    const patient = await fhir<Patient>(first, 'POST', 'Patient', {
      resourceType: 'Patient',
      name: [{ family: 'Two' }],
    });
    const subscription = await fhir<Subscription>(second, 'POST', 'Subscription', {
      resourceType: 'Subscription',
      status: 'active',
      reason: 'two-process websocket test',
      criteria: `Observation?subject=Patient/${patient.id}`,
      channel: { type: 'websocket' },
    });
    const parameters = await fhir<Parameters>(second, 'GET', `Subscription/${subscription.id}/$get-ws-binding-token`);
    const param = (name: string) => parameters.parameter?.find((p) => p.name === name);
    expect(param('websocket-url')?.valueUrl).toBe(`${first.baseUrl.replace(/^http/, 'ws')}/ws/subscriptions-r4`);

    const socket = await openTestSocket(`${second.directUrl.replace(/^http/, 'ws')}/ws/subscriptions-r4`);
    socket.send({ type: 'bind-with-token', payload: { token: param('token')?.valueString } });
    await socket.next(notificationOf('handshake', subscription.id));

    const created = await fhir<Observation>(first, 'POST', 'Observation', observation(patient.id as string));
    const bundle = (await socket.next(notificationOf('event-notification', subscription.id), 10_000)) as Bundle;
    expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'history' });
    expect(statusOf(bundle)).toMatchObject({
      resourceType: 'SubscriptionStatus',
      status: 'active',
      type: 'event-notification',
      subscription: { reference: `Subscription/${subscription.id}` },
      eventsSinceSubscriptionStart: '1',
      notificationEvent: [{ eventNumber: '1', focus: { reference: `Observation/${created.id}` } }],
    });
    expect(bundle.entry?.[1]).toMatchObject({
      fullUrl: `${first.baseUrl}/fhir/R4/Observation/${created.id}`,
      resource: { resourceType: 'Observation', id: created.id, subject: { reference: `Patient/${patient.id}` } },
    });
    socket.close();
  });

  test('a token revoked on the first instance ends the binding made with it on the second', async () => {
    const basic = `Basic ${Buffer.from(`${TEST_ADMIN.clientId}:${TEST_ADMIN.clientSecret}`).toString('base64')}`;
    const form = { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' };
    const issued = await fetch(`${first.directUrl}/oauth2/token`, {
      method: 'POST',
      headers: form,
      body: 'grant_type=client_credentials&scope=system/*.cruds',
    });
    const ownToken = ((await issued.json()) as { access_token: string }).access_token;
    const subscription = await fhir<Subscription>(second, 'POST', 'Subscription', {
      resourceType: 'Subscription',
      status: 'active',
      reason: 'two-process revocation test',
      criteria: 'Observation?code=8867-4',
      channel: { type: 'websocket' },
    });
    const parameters = (await (
      await fetch(`${second.directUrl}/fhir/R4/Subscription/${subscription.id}/$get-ws-binding-token`, {
        headers: { authorization: `Bearer ${ownToken}` },
      })
    ).json()) as Parameters;
    const socket = await openTestSocket(`${second.directUrl.replace(/^http/, 'ws')}/ws/subscriptions-r4`);
    socket.send({ type: 'bind-with-token', payload: { token: parameters.parameter?.[0].valueString } });
    await socket.next(notificationOf('handshake', subscription.id));

    const revoked = await fetch(`${first.directUrl}/oauth2/revoke`, {
      method: 'POST',
      headers: form,
      body: new URLSearchParams({ token: ownToken }).toString(),
    });
    expect(revoked.status).toBe(200);
    const ended = await socket.next(
      (m) => JSON.stringify(m).includes('access token was revoked') && JSON.stringify(m).includes('OperationOutcome'),
      5000
    );
    expect(JSON.stringify(ended)).toContain(`Subscription/${subscription.id}`);
    socket.close();
  });

  test('MedplumClient.subscribeToCriteria on the second instance hears a write through the first', async () => {
    const patient = await fhir<Patient>(first, 'POST', 'Patient', {
      resourceType: 'Patient',
      name: [{ family: 'Medplum' }],
    });
    const medplum = new MedplumClient({ baseUrl: second.directUrl, fetch, cacheTime: 0 });
    await medplum.startClientLogin(TEST_ADMIN.clientId, TEST_ADMIN.clientSecret);
    // The client subscribes only once it knows its profile, which it reads from Medplum's /auth/me only for Medplum's
    // own (JWT) access tokens; ours are opaque, so the test gives it one.
    (medplum as unknown as { sessionDetails: unknown }).sessionDetails = {
      profile: { resourceType: 'Device', id: TEST_ADMIN.clientId },
    };
    const criteria = `Observation?subject=Patient/${patient.id}`;
    const emitter: SubscriptionEmitter = medplum.subscribeToCriteria(criteria);
    try {
      const connected = new Promise<void>((resolve, reject) => {
        emitter.addEventListener('connect', () => resolve());
        emitter.addEventListener('error', (event) => reject(new Error(JSON.stringify(event.payload))));
      });
      const message = new Promise<Bundle>((resolve) =>
        emitter.addEventListener('message', (event) => resolve(event.payload as Bundle))
      );
      await withTimeout(connected, 10_000, 'no handshake');

      const created = await fhir<Observation>(first, 'POST', 'Observation', observation(patient.id as string));
      const bundle = await withTimeout(message, 10_000, 'no notification');
      expect(statusOf(bundle)?.type).toBe('event-notification');
      expect(bundle.entry?.[1].resource).toMatchObject({ resourceType: 'Observation', id: created.id });
    } finally {
      medplum.unsubscribeFromCriteria(criteria);
      medplum.getSubscriptionManager().closeWebSocket();
    }
  });
});

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
