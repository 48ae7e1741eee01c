// Subscription/{id}/$get-ws-binding-token through a FhirRouter and a caller's PostgresRepository: answer, storage, refusals.
import { getStatus, type WithId } from '@medplum/core';
import { FhirRouter, type HttpMethod } from '@medplum/fhir-router';
import type { Parameters, Subscription } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Caller } from '../../auth/authenticate.ts';
import { createPool, type Db } from '../../db/pool.ts';
import { loadFhirDefinitions } from '../../fhir/definitions.ts';
import { PostgresRepository } from '../../fhir/repository/postgresRepository.ts';
import { bindingTokenHash, findBindingToken } from './bindingTokens.ts';
import { registerWebSocketOperations } from './getWsBindingToken.ts';

const FHIR_BASE = 'https://rpm.test/fhir/R4';
const now = () => Math.floor(Date.now() / 1000);
const admin = (expiresIn = 3600): Caller => ({
  clientId: 'ws-token-test',
  scopes: ['user/*.cruds'],
  subject: 'account-admin',
  fhirUser: 'Practitioner/ws-admin',
  role: 'admin',
  expiresAt: now() + expiresIn,
});
const system: Caller = { clientId: 'ws-token-test', scopes: ['system/Subscription.rs'], expiresAt: now() + 3600 };

let pool: Db;
let subscription: WithId<Subscription>;
const router = new FhirRouter();

beforeAll(async () => {
  loadFhirDefinitions();
  pool = createPool(process.env.RPM_TEST_DATABASE_URL as string, 3);
  registerWebSocketOperations(router, { pool, baseUrl: 'https://rpm.test' });
  subscription = await new PostgresRepository(pool, { fhirBaseUrl: FHIR_BASE }).createResource<Subscription>({
    resourceType: 'Subscription',
    status: 'active',
    reason: 'binding token test',
    criteria: 'Observation',
    channel: { type: 'websocket' },
  });
});
afterAll(async () => {
  // Active Subscriptions apply to the whole test database: the other test files' servers would match them too.
  await new PostgresRepository(pool, { fhirBaseUrl: FHIR_BASE }).deleteResource('Subscription', subscription.id);
  await pool?.end();
});

async function call(caller: Caller | undefined, path: string, method: HttpMethod = 'GET') {
  const repo = new PostgresRepository(pool, { fhirBaseUrl: FHIR_BASE, caller });
  const body = method === 'POST' ? { resourceType: 'Parameters' } : undefined;
  const [outcome, resource] = await router
    .handleRequest({ method, url: path, pathname: '', body, params: {}, query: {} }, repo)
    .catch((err: { outcome: Parameters }) => [err.outcome, undefined] as const);
  return { status: getStatus(outcome as never), outcome, parameters: resource as Parameters | undefined };
}

const value = (parameters: Parameters | undefined, name: string) => {
  const parameter = parameters?.parameter?.find((p) => p.name === name);
  return parameter?.valueString ?? parameter?.valueDateTime ?? parameter?.valueUrl;
};

describe('Subscription/{id}/$get-ws-binding-token', () => {
  test('answers token, expiration (an hour), subscription and websocket-url; the token is stored hashed', async () => {
    const started = Date.now();
    const { status, parameters } = await call(admin(), `Subscription/${subscription.id}/$get-ws-binding-token`);
    expect(status).toBe(200);
    const token = value(parameters, 'token') as string;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const expiration = Date.parse(value(parameters, 'expiration') as string);
    expect(expiration - started).toBeGreaterThan(3590_000);
    expect(expiration - started).toBeLessThanOrEqual(3601_000);
    expect(value(parameters, 'subscription')).toBe(`Subscription/${subscription.id}`);
    expect(value(parameters, 'websocket-url')).toBe('wss://rpm.test/ws/subscriptions-r4');

    const { rows } = await pool.query('SELECT token_hash, caller FROM websocket_binding_token WHERE token_hash = $1', [
      bindingTokenHash(token),
    ]);
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(token);
    expect(rows[0].caller).toMatchObject({ fhirUser: 'Practitioner/ws-admin', role: 'admin' });
    expect(await findBindingToken(pool, token)).toMatchObject({ subscriptionId: subscription.id });
  });

  test('POST works too; a system client with a Subscription read scope may ask', async () => {
    const { status, parameters } = await call(system, `Subscription/${subscription.id}/$get-ws-binding-token`, 'POST');
    expect(status).toBe(200);
    expect(value(parameters, 'token')).toBeTruthy();
  });

  test('the token expires with the access token that asked for it when that comes first', async () => {
    const caller = admin(120);
    const { parameters } = await call(caller, `Subscription/${subscription.id}/$get-ws-binding-token`);
    expect(Date.parse(value(parameters, 'expiration') as string)).toBe(caller.expiresAt * 1000);
  });

  test('404 for an unknown Subscription, 400 for a Subscription whose channel is not websocket', async () => {
    expect((await call(admin(), 'Subscription/no-such-subscription/$get-ws-binding-token')).status).toBe(404);
    const restHook = await new PostgresRepository(pool, { fhirBaseUrl: FHIR_BASE }).createResource<Subscription>({
      resourceType: 'Subscription',
      status: 'off',
      reason: 'not a websocket',
      criteria: 'Observation',
      channel: { type: 'rest-hook', endpoint: 'https://hooks.rpm.test/x', payload: 'application/fhir+json' },
    });
    const { status, outcome } = await call(admin(), `Subscription/${restHook.id}/$get-ws-binding-token`);
    expect(status).toBe(400);
    expect(JSON.stringify(outcome)).toContain('not websocket');
  });

  test("the caller's access applies: a patient (no Subscription access) is refused, nothing is issued", async () => {
    const patient: Caller = {
      clientId: 'ws-token-test',
      scopes: ['patient/*.rs'],
      subject: 'account-patient',
      fhirUser: 'Patient/ws-patient',
      role: 'patient',
      expiresAt: now() + 3600,
    };
    const { status, parameters } = await call(patient, `Subscription/${subscription.id}/$get-ws-binding-token`);
    expect([403, 404]).toContain(status);
    expect(parameters).toBeUndefined();
    const issued = await pool.query(
      "SELECT 1 FROM websocket_binding_token WHERE caller->>'subject' = 'account-patient'"
    );
    expect(issued.rows).toHaveLength(0);
  });

  test('the server itself (no caller) gets no token: it would be bound to everything', async () => {
    expect((await call(undefined, `Subscription/${subscription.id}/$get-ws-binding-token`)).status).toBe(403);
  });
});
