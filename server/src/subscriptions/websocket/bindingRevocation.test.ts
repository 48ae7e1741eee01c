// Websocket bindings end when their access token is revoked or their account disabled, not when the binding token expires.
import { randomUUID } from 'node:crypto';
import type { Observation, OperationOutcome, Parameters, Patient, Subscription } from '@medplum/fhirtypes';
import { beforeAll, describe, expect, test } from 'vitest';
import { createAccount, disableAccount } from '../../accounts/accountStore.ts';
import { fhirFetch, TEST_ADMIN, useTestServer } from '../../testing/testServer.ts';
import { issueUserToken } from '../../testing/userTokens.ts';
import { isOutcome, notificationOf, openTestSocket, type ServerMessage, type TestSocket } from './testSocket.ts';
import { subscriptionsWebSocketUrl } from './websocketUrl.ts';

const ctx = useTestServer();
const HEARTBEAT_PERIOD = 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-heartbeat-period';
let patient: Patient & { id: string };

beforeAll(async () => {
  const res = await ctx.api('Patient', {
    method: 'POST',
    body: JSON.stringify({ resourceType: 'Patient', name: [{ family: `Revoked-${randomUUID().slice(0, 8)}` }] }),
  });
  patient = (await res.json()) as Patient & { id: string };
});

const basic = `Basic ${Buffer.from(`${TEST_ADMIN.clientId}:${TEST_ADMIN.clientSecret}`).toString('base64')}`;

async function systemToken(): Promise<string> {
  const res = await fetch(ctx.server.tokenUrl, {
    method: 'POST',
    headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials&scope=system/*.cruds',
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

/** RFC 7009 revocation, as the client that holds the token would ask for it. */
async function revoke(token: string): Promise<void> {
  const res = await fetch(`${ctx.server.auth.issuer}/revoke`, {
    method: 'POST',
    headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }).toString(),
  });
  expect(res.status).toBe(200);
}

/** A websocket Subscription on this patient's Observations, created and bound with `token`; heartbeats every second. */
async function bound(token: string): Promise<{ socket: TestSocket; subscription: Subscription; bindingToken: string }> {
  const as = fhirFetch(ctx.server, token);
  const created = await as('Subscription', {
    method: 'POST',
    body: JSON.stringify({
      resourceType: 'Subscription',
      status: 'active',
      reason: 'revocation test',
      criteria: `Observation?subject=Patient/${patient.id}`,
      channel: { type: 'websocket', extension: [{ url: HEARTBEAT_PERIOD, valueUnsignedInt: 1 }] },
    }),
  });
  const subscription = (await created.json()) as Subscription;
  expect(created.status, JSON.stringify(subscription)).toBe(201);
  const parameters = (await (await as(`Subscription/${subscription.id}/$get-ws-binding-token`)).json()) as Parameters;
  const bindingToken = parameters.parameter?.find((p) => p.name === 'token')?.valueString as string;
  const socket = await openTestSocket(subscriptionsWebSocketUrl(ctx.server.baseUrl));
  socket.send({ type: 'bind-with-token', payload: { token: bindingToken } });
  await socket.next(notificationOf('handshake', subscription.id));
  return { socket, subscription, bindingToken };
}

async function postReading(): Promise<string> {
  const observation: Observation = {
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }] },
    subject: { reference: `Patient/${patient.id}` },
    effectiveDateTime: new Date().toISOString(),
    valueQuantity: { value: 72, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
  };
  const res = await ctx.api('Observation', { method: 'POST', body: JSON.stringify(observation) });
  expect(res.status).toBe(201);
  return ((await res.json()) as Observation).id as string;
}

const endedOutcome = (text: RegExp) => (message: ServerMessage) =>
  isOutcome(message) && text.test(JSON.stringify((message as OperationOutcome).issue));

/** What reaches the socket about `observationId` within `ms` (a notification would name it as its focus). */
async function heardOf(socket: TestSocket, observationId: string, ms: number): Promise<boolean> {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return socket.received.some((m) => JSON.stringify(m).includes(`Observation/${observationId}`));
}

describe('ending websocket bindings', () => {
  test('revoking the access token ends its binding at once; its binding token no longer binds', async () => {
    const token = await systemToken();
    const { socket, subscription, bindingToken } = await bound(token);
    const before = await postReading();
    await socket.next(notificationOf('event-notification', subscription.id), 10_000);
    expect(await heardOf(socket, before, 0)).toBe(true);

    await revoke(token);
    const ended = (await socket.next(endedOutcome(/access token was revoked/), 5000)) as OperationOutcome;
    expect(ended.issue?.[0]).toMatchObject({ severity: 'error', code: 'security' });
    expect(ended.issue?.[0].details?.text ?? ended.issue?.[0].diagnostics).toContain(`Subscription/${subscription.id}`);

    const after = await postReading();
    expect(await heardOf(socket, after, 1500)).toBe(false);
    socket.send({ type: 'bind-with-token', payload: { token: bindingToken } });
    await socket.next(endedOutcome(/Unknown or expired binding token/), 5000);
    socket.close();
  });

  test("another token's binding on the same socket is untouched", async () => {
    const revoked = await systemToken();
    const kept = await systemToken();
    const first = await bound(revoked);
    const second = await bound(kept);
    await revoke(revoked);
    await first.socket.next(endedOutcome(/access token was revoked/), 5000);
    const reading = await postReading();
    await second.socket.next(notificationOf('event-notification', second.subscription.id), 10_000);
    expect(await heardOf(second.socket, reading, 0)).toBe(true);
    first.socket.close();
    second.socket.close();
  });

  test("disabling a patient's account ends their bindings by the next heartbeat", async () => {
    const account = await createAccount(ctx.server.pool, {
      email: `revoked-${randomUUID().slice(0, 8)}@example.org`,
      role: 'patient',
      fhirUser: `Patient/${patient.id}`,
    });
    const token = await issueUserToken(ctx.server, {
      accountId: account.id,
      role: 'patient',
      fhirUser: `Patient/${patient.id}`,
      scope: 'patient/*.rs patient/Subscription.c',
    });
    const { socket, subscription } = await bound(token);
    await socket.next(notificationOf('heartbeat', subscription.id), 5000);

    await disableAccount(ctx.server.pool, account.id);
    await socket.next(endedOutcome(/account was disabled/), 5000);
    const reading = await postReading();
    expect(await heardOf(socket, reading, 1500)).toBe(false);
    socket.close();
  });
});
