// A create outside a transaction is one statement; stale Subscriptions or a failed reference check take the old path.
import { randomUUID } from 'node:crypto';
import { OperationOutcomeError } from '@medplum/core';
import type { Device, Observation, Patient, Subscription } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Db } from '../../db/pool.ts';
import { createCountedWrites, type CountedWrites } from '../../testing/countedWrites.ts';
import type { MedplumClient } from '@medplum/core';
import type { RunningServer } from '../../server.ts';
import { adminClient, startTestServer } from '../../testing/testServer.ts';
import type { PostgresRepository } from './postgresRepository.ts';

// The repository writes to a database of its own (createCountedWrites); a server on that database stands for "another
// instance": its Subscription writes reach this file's repository only through the database, as between two instances.
let server: RunningServer;
let medplum: MedplumClient;
let writes: CountedWrites;
let pool: Db;
let repo: PostgresRepository;
let schema: string;
const code = `urn:test:one-statement|${randomUUID()}`;

beforeAll(async () => {
  writes = await createCountedWrites('jobs_one');
  ({ pool, repo, schema } = writes);
  server = await startTestServer({ DATABASE_URL: writes.databaseUrl });
  medplum = await adminClient(server);
});

afterAll(async () => {
  await server?.close();
  await writes?.close();
});

/** Statements `fn` sent through this file's pool. */
async function counted<T>(fn: () => Promise<T>): Promise<{ result: T; sent: number }> {
  const before = writes.statements();
  const result = await fn();
  return { result, sent: writes.statements() - before };
}

async function jobsFor(subscription: Subscription): Promise<number> {
  const { rows } = await pool.query(`SELECT count(*)::int AS n FROM "${schema}"._private_jobs WHERE key LIKE $1`, [
    `hook:${subscription.id}:%`,
  ]);
  return rows[0].n as number;
}

const reading = (subject: string, extra: Partial<Observation> = {}): Observation => ({
  resourceType: 'Observation',
  status: 'final',
  code: { coding: [{ system: code.split('|')[0], code: code.split('|')[1] }] },
  subject: { reference: subject },
  effectiveDateTime: new Date().toISOString(),
  valueQuantity: { value: 72, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
  ...extra,
});

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err
  );
  expect(error).toBeInstanceOf(OperationOutcomeError);
  const outcome = (error as OperationOutcomeError).outcome;
  expect(outcome.id).toBe('http-422');
  return outcome.issue?.[0].details?.text ?? '';
}

describe('a create outside a transaction', () => {
  let patient: Patient & { id: string };

  test('the first create loads the Subscriptions in a transaction; the next ones are one statement each', async () => {
    const first = await counted(() => repo.createResource<Patient>({ resourceType: 'Patient' }));
    expect(first.sent).toBeGreaterThanOrEqual(3); // BEGIN with the Subscriptions' generation, their load, …, COMMIT
    const second = await counted(() => repo.createResource<Patient>({ resourceType: 'Patient', gender: 'female' }));
    expect(second.sent).toBe(1);
    patient = second.result;
    // Stored whole: current row, history and search indexes.
    expect(await repo.readResource('Patient', patient.id)).toMatchObject({ gender: 'female' });
    expect((await repo.readHistory('Patient', patient.id)).entry).toHaveLength(1);
    const found = await repo.search({
      resourceType: 'Patient',
      filters: [{ code: '_id', operator: 'eq', value: patient.id }],
    });
    expect(found.entry?.map((e) => e.resource?.id)).toEqual([patient.id]);
  });

  test('text with quotes, backslashes, braces and non-ASCII is stored exactly, alone and in a transaction', async () => {
    const note = 'He said "SpO₂ 88 %" \\ then {"a":[1,2]} \\" and \u00e9\u20ac\ud83d\ude00 \t tab';
    const alone = await repo.createResource(reading(`Patient/${patient.id}`, { note: [{ text: note }] }));
    const inTransaction = await repo.withTransaction((tx) =>
      tx.createResource(reading(`Patient/${patient.id}`, { note: [{ text: note }] }))
    );
    for (const stored of [alone, inTransaction]) {
      expect((await repo.readResource<Observation>('Observation', stored.id)).note?.[0].text).toBe(note);
      const history = await repo.readHistory('Observation', stored.id);
      expect((history.entry?.[0].resource as Observation).note?.[0].text).toBe(note);
    }
  });

  test('a Subscription written by another instance applies to the very next create here (its guard fails once)', async () => {
    const subscription = await medplum.createResource<Subscription>({
      resourceType: 'Subscription',
      status: 'active',
      reason: 'one-statement create test',
      criteria: `Observation?code=${code}`,
      channel: { type: 'rest-hook', endpoint: 'https://example.org/hook', payload: 'application/fhir+json' },
    });
    try {
      const stale = await counted(() => repo.createResource(reading(`Patient/${patient.id}`)));
      expect(stale.sent).toBeGreaterThan(1); // the guarded statement, then the transactional path
      expect(await jobsFor(subscription)).toBe(1);
      const current = await counted(() => repo.createResource(reading(`Patient/${patient.id}`)));
      expect(current.sent).toBe(1);
      expect(await jobsFor(subscription)).toBe(2);
    } finally {
      await medplum.deleteResource('Subscription', subscription.id as string);
    }
  });

  test('a missing reference target is refused as before (422 naming the element); nothing is stored', async () => {
    const id = randomUUID();
    const message = await refusal(
      repo.createResource({ ...reading('Patient/no-such-patient'), id }, { assignedId: true })
    );
    expect(message).toMatch(/Observation\.subject\.reference refers to Patient\/no-such-patient, which does not exist/);
    const { rows } = await pool.query('SELECT count(*)::int AS n FROM resource WHERE id = $1', [id]);
    expect(rows[0].n).toBe(0);
  });

  test("a device assigned to the reading's subject is one statement; one assigned to someone else is refused", async () => {
    const other = await repo.createResource<Patient>({ resourceType: 'Patient' });
    const device = await repo.createResource<Device>({
      resourceType: 'Device',
      patient: { reference: `Patient/${patient.id}` },
    });
    const own = await counted(() =>
      repo.createResource(reading(`Patient/${patient.id}`, { device: { reference: `Device/${device.id}` } }))
    );
    expect(own.sent).toBe(1);
    const message = await refusal(
      repo.createResource(reading(`Patient/${other.id}`, { device: { reference: `Device/${device.id}` } }))
    );
    expect(message).toContain(`Device/${device.id} is assigned to Patient/${patient.id}, not to the reading's subject`);
    // An unassigned device reads for anyone.
    const stock = await repo.createResource<Device>({ resourceType: 'Device' });
    const unassigned = await counted(() =>
      repo.createResource(reading(`Patient/${other.id}`, { device: { reference: `Device/${stock.id}` } }))
    );
    expect(unassigned.sent).toBe(1);
  });
});
