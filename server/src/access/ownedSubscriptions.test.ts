// Users' own Subscriptions through HTTP: websocket only, tagged with the account, seen and changed by their owner alone.
import { randomUUID } from 'node:crypto';
import type { Bundle, OperationOutcome, Parameters, Subscription } from '@medplum/fhirtypes';
import { beforeAll, describe, expect, test } from 'vitest';
import { useTestServer } from '../testing/testServer.ts';
import { asUser, careNetwork, createAll, refsIn } from './testWorld.ts';
import { OWNER_TAG_SYSTEM } from './typeRules.ts';

const ctx = useTestServer();
const tag = randomUUID().slice(0, 8);
let id: Record<string, string>;
type Fetcher = Awaited<ReturnType<typeof asUser>>;
let drA: Fetcher;
let drB: Fetcher;
let patient: Fetcher;
let admin: Fetcher;

beforeAll(async () => {
  id = await createAll(ctx, careNetwork(tag));
  drA = await asUser(ctx, { role: 'clinician', fhirUser: `Practitioner/${id.drA}` }, 'user/*.rs user/Subscription.cud');
  drB = await asUser(ctx, { role: 'clinician', fhirUser: `Practitioner/${id.drB}` }, 'user/*.rs user/Subscription.cud');
  patient = await asUser(ctx, { role: 'patient', fhirUser: `Patient/${id.a1}` }, 'patient/*.rs patient/Subscription.c');
  admin = await asUser(ctx, { role: 'admin', fhirUser: `Practitioner/${id.drA}` }, 'user/*.cruds');
});

const websocket = (criteria: string, extra: Partial<Subscription> = {}): Subscription => ({
  resourceType: 'Subscription',
  status: 'requested',
  reason: 'live worklist',
  criteria,
  channel: { type: 'websocket' },
  ...extra,
});

async function create(as: Fetcher, subscription: Subscription): Promise<{ status: number; body: unknown }> {
  const res = await as('Subscription', { method: 'POST', body: JSON.stringify(subscription) });
  return { status: res.status, body: await res.json() };
}

async function own(as: Fetcher, criteria: string): Promise<Subscription & { id: string }> {
  const { status, body } = await create(as, websocket(criteria));
  expect(status, JSON.stringify(body)).toBe(201);
  return body as Subscription & { id: string };
}

const ownerTags = (s: Subscription) => (s.meta?.tag ?? []).filter((t) => t.system === OWNER_TAG_SYSTEM);

describe("users' own Subscriptions", () => {
  test('a clinician creates a websocket Subscription: active, tagged with their account', async () => {
    const subscription = await own(drA, 'DetectedIssue');
    expect(subscription.status).toBe('active');
    expect(ownerTags(subscription)).toHaveLength(1);
    const again = await own(drA, 'Observation');
    expect(ownerTags(again)[0].code).toBe(ownerTags(subscription)[0].code);
    const other = await own(drB, 'DetectedIssue');
    expect(ownerTags(other)[0].code).not.toBe(ownerTags(subscription)[0].code);
  });

  test('an owner tag sent by the client is replaced by the server: nobody writes as someone else', async () => {
    const victim = ownerTags(await own(drB, 'Communication'))[0].code as string;
    const forged = websocket('Communication', { meta: { tag: [{ system: OWNER_TAG_SYSTEM, code: victim }] } });
    const { status, body } = await create(drA, forged);
    expect(status).toBe(201);
    expect(ownerTags(body as Subscription)).toHaveLength(1);
    expect(ownerTags(body as Subscription)[0].code).not.toBe(victim);
  });

  test('users may not create rest-hook Subscriptions (403, nothing stored)', async () => {
    const { status, body } = await create(
      drA,
      websocket('Observation', { channel: { type: 'rest-hook', endpoint: 'https://example.org/exfiltrate' } })
    );
    expect(status).toBe(403);
    expect(JSON.stringify((body as OperationOutcome).issue)).toMatch(/websocket Subscriptions only/);
    const search = (await (await admin('Subscription?_count=200')).json()) as Bundle<Subscription>;
    expect(search.entry?.some((e) => e.resource?.channel.endpoint === 'https://example.org/exfiltrate')).toBe(false);
  });

  test("others' Subscriptions are not found: read 404, absent from search; the owner sees theirs", async () => {
    const mine = await own(drA, 'Task');
    expect((await drB(`Subscription/${mine.id}`)).status).toBe(404);
    expect((await patient(`Subscription/${mine.id}`)).status).toBe(404);
    expect((await drA(`Subscription/${mine.id}`)).status).toBe(200);
    const seenByB = refsIn((await (await drB('Subscription?_count=200')).json()) as Bundle);
    expect(seenByB).not.toContain(`Subscription/${mine.id}`);
    const seenByA = refsIn((await (await drA('Subscription?_count=200')).json()) as Bundle);
    expect(seenByA).toContain(`Subscription/${mine.id}`);
    // Everything drA finds is theirs.
    const bundle = (await (await drA('Subscription?_count=200')).json()) as Bundle<Subscription>;
    const codes = new Set(bundle.entry?.map((e) => ownerTags(e.resource as Subscription)[0]?.code));
    expect(codes).toEqual(new Set([ownerTags(mine)[0].code]));
  });

  test("only the owner may update or delete it; an admin sees everyone's", async () => {
    const mine = await own(drA, 'Appointment');
    const update = (as: Fetcher) =>
      as(`Subscription/${mine.id}`, { method: 'PUT', body: JSON.stringify({ ...mine, status: 'off' }) });
    expect((await update(drB)).status).toBe(404);
    expect((await drB(`Subscription/${mine.id}`, { method: 'DELETE' })).status).toBe(404);
    const updated = await update(drA);
    expect(updated.status).toBe(200);
    expect(((await updated.json()) as Subscription).status).toBe('off');
    expect((await admin(`Subscription/${mine.id}`)).status).toBe(200);
    expect((await drA(`Subscription/${mine.id}`, { method: 'DELETE' })).status).toBe(200);
    expect((await drA(`Subscription/${mine.id}`)).status).toBe(410);
  });

  test('a patient app subscribes too, and gets a websocket binding token for its own Subscription only', async () => {
    const mine = await own(patient, 'Communication');
    const res = await patient(`Subscription/${mine.id}/$get-ws-binding-token`);
    expect(res.status).toBe(200);
    const parameters = (await res.json()) as Parameters;
    expect(parameters.parameter?.find((p) => p.name === 'token')?.valueString).toBeTruthy();
    const others = await own(drB, 'Communication');
    expect((await patient(`Subscription/${others.id}/$get-ws-binding-token`)).status).toBe(404);
  });

  test('without a Subscription scope a user still cannot create one (403)', async () => {
    const readOnly = await asUser(ctx, { role: 'clinician', fhirUser: `Practitioner/${id.drA}` }, 'user/*.rs');
    expect((await create(readOnly, websocket('Observation'))).status).toBe(403);
  });
});
