// The websocket channel in one process: binding, notifications across two instances through the real Redis, local
// delivery without Redis, heartbeats, ping/pong, refused tokens, bad messages, access checks and closing.
import http from 'node:http';
import type { WithId } from '@medplum/core';
import type { Bundle, Observation, Patient, Subscription } from '@medplum/fhirtypes';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Caller } from '../../auth/authenticate.ts';
import { createPool, type Db } from '../../db/pool.ts';
import { loadFhirDefinitions } from '../../fhir/definitions.ts';
import { PostgresRepository } from '../../fhir/repository/postgresRepository.ts';
import type { CommittedChange } from '../committedChange.ts';
import { issueBindingToken } from './bindingTokens.ts';
import { attachSubscriptionWebSockets, type SubscriptionWebSockets } from './index.ts';
import { HEARTBEAT_PERIOD_EXTENSION } from './subscriptionChannel.ts';
import {
  isOutcome,
  notificationOf,
  openTestSocket,
  statusOf,
  type ServerMessage,
  type TestSocket,
} from './testSocket.ts';

const REDIS_URL = process.env.REDIS_URL;
const FHIR_BASE = 'http://rpm.test/fhir/R4';
const hour = () => Math.floor(Date.now() / 1000) + 3600;
const systemCaller = (): Caller => ({ clientId: 'ws-test', scopes: ['system/*.rs'], expiresAt: hour() });
const patientCaller = (patientId: string): Caller => ({
  clientId: 'ws-test',
  scopes: ['patient/*.rs'],
  subject: `account-${patientId}`,
  fhirUser: `Patient/${patientId}`,
  role: 'patient',
  expiresAt: hour(),
});

let pool: Db;
let repo: PostgresRepository;

beforeAll(() => {
  loadFhirDefinitions();
  pool = createPool(process.env.RPM_TEST_DATABASE_URL as string, 5);
  repo = new PostgresRepository(pool, { fhirBaseUrl: FHIR_BASE });
});
// Active Subscriptions apply to the whole test database: the other test files' servers would match them too.
const createdSubscriptions: string[] = [];
afterAll(async () => {
  for (const id of createdSubscriptions) {
    await repo.deleteResource('Subscription', id).catch(() => undefined);
  }
  await pool?.end();
});

interface Instance {
  url: string;
  channel: SubscriptionWebSockets;
  httpServer: http.Server;
  close(): Promise<void>;
}

async function startInstance(options: {
  redis?: Redis;
  redisUrl?: string;
  heartbeatSeconds?: number;
}): Promise<Instance> {
  const httpServer = http.createServer((_req, res) => res.writeHead(404).end());
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const { port } = httpServer.address() as { port: number };
  const baseUrl = `http://127.0.0.1:${port}`;
  const channel = attachSubscriptionWebSockets(httpServer, { pool, fhirBaseUrl: FHIR_BASE, baseUrl, ...options });
  return {
    url: `ws://127.0.0.1:${port}/ws/subscriptions-r4`,
    channel,
    httpServer,
    async close() {
      await channel.close();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
}

async function createPatient(): Promise<WithId<Patient>> {
  return repo.createResource<Patient>({ resourceType: 'Patient', name: [{ family: 'Websocket' }] });
}

async function createSubscription(criteria: string, extra: Partial<Subscription> = {}): Promise<WithId<Subscription>> {
  const subscription = await repo.createResource<Subscription>({
    resourceType: 'Subscription',
    status: 'active',
    reason: 'websocket test',
    criteria,
    channel: { type: 'websocket' },
    ...extra,
  });
  createdSubscriptions.push(subscription.id);
  return subscription;
}

/** An Observation about the patient, stored, as the write triggers hand it over. */
async function observationChange(patientId: string): Promise<CommittedChange> {
  const resource = await repo.createResource<Observation>({
    resourceType: 'Observation',
    status: 'final',
    code: { text: 'heart rate' },
    subject: { reference: `Patient/${patientId}` },
    valueQuantity: { value: 72, unit: '/min' },
  });
  return {
    resourceType: 'Observation',
    id: resource.id,
    versionId: resource.meta?.versionId as string,
    interaction: 'create',
    resource,
  };
}

async function bind(socket: TestSocket, subscription: WithId<Subscription>, caller: Caller): Promise<string> {
  const { token } = await issueBindingToken(pool, subscription.id, caller);
  socket.send({ type: 'bind-with-token', payload: { token } });
  await socket.next(notificationOf('handshake', subscription.id));
  return token;
}

/** Nothing matching arrives within ms. */
async function expectNothing(socket: TestSocket, match: (m: ServerMessage) => boolean, ms = 700): Promise<void> {
  await expect(socket.next(match, ms)).rejects.toThrow(/No matching message/);
}

describe.runIf(REDIS_URL)('two instances sharing the real Redis', () => {
  let first: Instance;
  let second: Instance;
  let sharedRedis: Redis;

  beforeAll(async () => {
    sharedRedis = new Redis(REDIS_URL as string);
    first = await startInstance({ redis: sharedRedis }); // a client of the server's
    second = await startInstance({ redisUrl: REDIS_URL }); // its own client
  });
  afterAll(async () => {
    await first?.close();
    await second?.close();
    await sharedRedis?.quit();
  });

  test('a socket bound on the second instance receives what the first notifies, as an R4B notification bundle', async () => {
    const patient = await createPatient();
    const subscription = await createSubscription(`Observation?subject=Patient/${patient.id}`);
    const socket = await openTestSocket(second.url);
    const handshakeToken = await issueBindingToken(pool, subscription.id, systemCaller());
    socket.send({ type: 'bind-with-token', payload: { token: handshakeToken.token } });
    const handshake = (await socket.next(notificationOf('handshake'))) as Bundle;
    expect(handshake).toMatchObject({ resourceType: 'Bundle', type: 'history' });
    expect(statusOf(handshake)).toMatchObject({
      status: 'active',
      subscription: { reference: `Subscription/${subscription.id}` },
      eventsSinceSubscriptionStart: '0',
    });

    const change = await observationChange(patient.id);
    await first.channel.notify(subscription, change);
    const bundle = (await socket.next(notificationOf('event-notification', subscription.id))) as Bundle;
    expect(bundle.type).toBe('history');
    expect(statusOf(bundle)).toMatchObject({
      resourceType: 'SubscriptionStatus',
      status: 'active',
      type: 'event-notification',
      eventsSinceSubscriptionStart: '1',
      notificationEvent: [{ eventNumber: '1', focus: { reference: `Observation/${change.id}` } }],
    });
    expect(bundle.entry?.[1]).toMatchObject({
      fullUrl: `${FHIR_BASE}/Observation/${change.id}`,
      resource: { resourceType: 'Observation', id: change.id },
      request: { method: 'POST', url: 'Observation' },
      response: { status: '201', etag: `W/"${change.versionId}"` },
    });

    // Numbered across instances: the second instance's own notify continues the count.
    await second.channel.notify(subscription, await observationChange(patient.id));
    const next = await socket.next(notificationOf('event-notification', subscription.id));
    expect(statusOf(next)?.notificationEvent?.[0].eventNumber).toBe('2');
    socket.close();
  });

  test('every socket bound to the Subscription gets the event, on either instance, once', async () => {
    const patient = await createPatient();
    const subscription = await createSubscription(`Observation?subject=Patient/${patient.id}`);
    const onFirst = await openTestSocket(first.url);
    const onSecond = await openTestSocket(second.url);
    await bind(onFirst, subscription, systemCaller());
    await bind(onSecond, subscription, systemCaller());
    const change = await observationChange(patient.id);
    await second.channel.notify(subscription, change);
    for (const socket of [onFirst, onSecond]) {
      const bundle = (await socket.next(notificationOf('event-notification'))) as Bundle;
      expect(bundle.entry?.[1].resource?.id).toBe(change.id);
      await expectNothing(socket, notificationOf('event-notification'), 300);
      socket.close();
    }
  });

  test('a socket only receives resources its caller may read', async () => {
    const reached = await createPatient();
    const other = await createPatient();
    const subscription = await createSubscription('Observation');
    const socket = await openTestSocket(second.url);
    await bind(socket, subscription, patientCaller(reached.id));
    const hidden = await observationChange(other.id);
    const visible = await observationChange(reached.id);
    await first.channel.notify(subscription, hidden);
    await first.channel.notify(subscription, visible);
    const bundle = (await socket.next(notificationOf('event-notification'))) as Bundle;
    expect(bundle.entry?.[1].resource?.id).toBe(visible.id);
    expect(JSON.stringify(socket.received)).not.toContain(hidden.id);
    socket.close();
  });
});

describe('one instance without Redis', () => {
  let instance: Instance;

  beforeAll(async () => {
    instance = await startInstance({ heartbeatSeconds: 1 });
  });
  afterAll(() => instance?.close());

  test('delivers locally, in order, to the bound socket only', async () => {
    const patient = await createPatient();
    const subscription = await createSubscription(`Observation?subject=Patient/${patient.id}`);
    const unrelated = await createSubscription(`Observation?subject=Patient/${patient.id}`);
    const socket = await openTestSocket(instance.url);
    const bystander = await openTestSocket(instance.url);
    await bind(socket, subscription, systemCaller());
    await bind(bystander, unrelated, systemCaller());
    const changes = [await observationChange(patient.id), await observationChange(patient.id)];
    for (const change of changes) {
      await instance.channel.notify(subscription, change);
    }
    for (const [index, change] of changes.entries()) {
      const bundle = await socket.next(notificationOf('event-notification', subscription.id));
      expect(statusOf(bundle)?.notificationEvent?.[0]).toMatchObject({
        eventNumber: String(index + 1),
        focus: { reference: `Observation/${change.id}` },
      });
    }
    await expectNothing(bystander, notificationOf('event-notification'));
    socket.close();
    bystander.close();
  });

  test('heartbeats arrive every period for each bound Subscription; a ping is answered with a pong', async () => {
    const subscription = await createSubscription('Observation');
    const socket = await openTestSocket(instance.url);
    await bind(socket, subscription, systemCaller());
    const started = Date.now();
    const heartbeat = await socket.next(notificationOf('heartbeat', subscription.id), 3000);
    await socket.next(notificationOf('heartbeat', subscription.id), 3000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    expect(heartbeat).toMatchObject({ resourceType: 'Bundle', type: 'history' });
    expect(statusOf(heartbeat)).toMatchObject({ status: 'active', eventsSinceSubscriptionStart: '0' });

    socket.send({ type: 'ping' });
    expect(await socket.next((m) => (m as { type?: string }).type === 'pong')).toEqual({ type: 'pong' });
    socket.close();
  });

  test("a Subscription's own heartbeat period (R4B backport extension) wins over the server's", async () => {
    const slow = await createSubscription('Observation', {
      channel: { type: 'websocket', extension: [{ url: HEARTBEAT_PERIOD_EXTENSION, valueUnsignedInt: 60 }] },
    });
    const socket = await openTestSocket(instance.url);
    await bind(socket, slow, systemCaller());
    await expectNothing(socket, notificationOf('heartbeat'), 2500);
    socket.close();
  });

  test('unknown, expired and malformed tokens are refused with an OperationOutcome; the socket stays usable', async () => {
    const subscription = await createSubscription('Observation');
    const socket = await openTestSocket(instance.url);
    socket.send({ type: 'bind-with-token', payload: { token: 'x'.repeat(43) } });
    expect(await socket.next(isOutcome)).toMatchObject({
      issue: [{ severity: 'error', code: 'security', details: { text: expect.stringMatching(/binding token/) } }],
    });
    const expired = await issueBindingToken(pool, subscription.id, { ...systemCaller(), expiresAt: hour() - 7200 });
    socket.send({ type: 'bind-with-token', payload: { token: expired.token } });
    expect(await socket.next(isOutcome)).toMatchObject({ issue: [{ code: 'security' }] });
    socket.send({ type: 'bind-with-token', payload: {} });
    expect(await socket.next(isOutcome)).toMatchObject({ issue: [{ code: 'invalid' }] });

    const change = await observationChange((await createPatient()).id);
    await instance.channel.notify(subscription, change);
    await expectNothing(socket, notificationOf('event-notification'), 300);
    socket.send({ type: 'ping' });
    await socket.next((m) => (m as { type?: string }).type === 'pong');
    socket.close();
  });

  test('bad messages get an OperationOutcome, never a crash', async () => {
    const socket = await openTestSocket(instance.url);
    for (const message of ['not json', '[]', 'null', '{"type":"subscribe"}', '{"type":42}']) {
      socket.send(message);
      expect(await socket.next(isOutcome)).toMatchObject({ issue: [{ severity: 'error', code: 'invalid' }] });
    }
    // Over the size limit: the socket is closed with 1009 (message too big), the server carries on.
    socket.send(JSON.stringify({ type: 'ping', padding: 'x'.repeat(70 * 1024) }));
    expect(await socket.closed).toBe(1009);
    const again = await openTestSocket(instance.url);
    again.send({ type: 'ping' });
    await again.next((m) => (m as { type?: string }).type === 'pong');
    again.close();
  });

  test('unbind-from-token stops the notifications of that Subscription', async () => {
    const patient = await createPatient();
    const subscription = await createSubscription(`Observation?subject=Patient/${patient.id}`);
    const socket = await openTestSocket(instance.url);
    const token = await bind(socket, subscription, systemCaller());
    socket.send({ type: 'unbind-from-token', payload: { token } });
    // Binds and unbinds are handled in order: once this refusal arrives, the unbind is done.
    socket.send({ type: 'unbind-from-token', payload: { token: 'y'.repeat(43) } });
    await socket.next(isOutcome);
    await instance.channel.notify(subscription, await observationChange(patient.id));
    await expectNothing(socket, notificationOf('event-notification'), 500);
    socket.close();
  });

  test('binding again with a fresh token replaces the binding (one notification per event)', async () => {
    const patient = await createPatient();
    const subscription = await createSubscription(`Observation?subject=Patient/${patient.id}`);
    const socket = await openTestSocket(instance.url);
    await bind(socket, subscription, systemCaller());
    await bind(socket, subscription, systemCaller());
    await instance.channel.notify(subscription, await observationChange(patient.id));
    await socket.next(notificationOf('event-notification'));
    await expectNothing(socket, notificationOf('event-notification'), 300);
    socket.close();
  });

  test('a binding ends when its token expires (never later than the access token that asked for it)', async () => {
    const patient = await createPatient();
    const subscription = await createSubscription(`Observation?subject=Patient/${patient.id}`);
    const socket = await openTestSocket(instance.url);
    await bind(socket, subscription, { ...systemCaller(), expiresAt: Math.floor(Date.now() / 1000) + 2 });
    expect(await socket.next(isOutcome, 4000)).toMatchObject({
      issue: [{ code: 'security', details: { text: expect.stringMatching(/expired/) } }],
    });
    await instance.channel.notify(subscription, await observationChange(patient.id));
    await expectNothing(socket, notificationOf('event-notification'), 500);
    socket.close();
  });

  test('binding a Subscription that was deleted since the token was issued is refused', async () => {
    const subscription = await createSubscription('Observation');
    const { token } = await issueBindingToken(pool, subscription.id, systemCaller());
    await repo.deleteResource('Subscription', subscription.id);
    const socket = await openTestSocket(instance.url);
    socket.send({ type: 'bind-with-token', payload: { token } });
    expect(await socket.next(isOutcome)).toMatchObject({ issue: [{ code: 'not-found' }] });
    socket.close();
  });

  test('upgrades to other paths are refused with 404', async () => {
    const url = instance.url.replace('/ws/subscriptions-r4', '/ws/other');
    const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const request = http.request(url.replace('ws:', 'http:'), {
        headers: {
          connection: 'Upgrade',
          upgrade: 'websocket',
          'sec-websocket-version': '13',
          'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        },
      });
      request.on('response', resolve);
      request.on('upgrade', () => reject(new Error('upgraded')));
      request.on('error', reject);
      request.end();
    });
    expect(response.statusCode).toBe(404);
  });
});

describe('closing', () => {
  test('closing the HTTP server first (as server.ts does) still finishes: the channel closes its sockets', async () => {
    const instance = await startInstance({});
    const subscription = await createSubscription('Observation');
    const socket = await openTestSocket(instance.url);
    await bind(socket, subscription, systemCaller());
    const started = Date.now();
    await new Promise<void>((resolve) => {
      instance.httpServer.close(() => resolve());
      instance.httpServer.closeAllConnections();
    });
    expect(await socket.closed).toBe(1001);
    expect(Date.now() - started).toBeLessThan(2000);
    await instance.channel.close();
  });

  test('close() closes the sockets (1001) and stops the heartbeats; the HTTP server then closes at once', async () => {
    const instance = await startInstance({ heartbeatSeconds: 1 });
    const subscription = await createSubscription('Observation');
    const socket = await openTestSocket(instance.url);
    await bind(socket, subscription, systemCaller());
    const started = Date.now();
    await instance.close();
    expect(await socket.closed).toBe(1001);
    expect(Date.now() - started).toBeLessThan(2000);
    await instance.channel.notify(subscription, await observationChange((await createPatient()).id)); // no-op
  });
});
