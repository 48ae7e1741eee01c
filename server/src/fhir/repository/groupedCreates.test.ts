// Concurrent creates outside a transaction share statements and commits; a refused one never fails the others.
import { randomUUID } from 'node:crypto';
import { OperationOutcomeError } from '@medplum/core';
import type { Device, Observation, Patient } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Db } from '../../db/pool.ts';
import type { ChangeConsumer } from '../../subscriptions/committedChange.ts';
import { createCountedWrites, type CountedWrites } from '../../testing/countedWrites.ts';
import { GROUPED_CREATE_STATEMENTS, groupedCreatesOf, MAX_GROUP_WAIT_MS } from './groupedCreates.ts';
import type { PostgresRepository } from './postgresRepository.ts';

// This file's repository has its own database, pool, queue and triggers (createCountedWrites).
let writes: CountedWrites;
let pool: Db;
let repo: PostgresRepository;
let schema: string;
let patient: Patient & { id: string };
const code = `urn:test:grouped-creates|${randomUUID()}`;
const TASK = 'grouped-creates-test';

/** One job per Observation of the test code, as a Subscription on it would queue (without changing Subscriptions). */
const jobPerReading: ChangeConsumer = (change) =>
  change.resourceType === 'Observation' &&
  (change.resource as Observation).code?.coding?.some((c) => `${c.system}|${c.code}` === code)
    ? [{ task: TASK, payload: {}, key: `${TASK}:Observation/${change.id}/${change.versionId}` }]
    : [];

beforeAll(async () => {
  writes = await createCountedWrites('jobs_group', 8, [jobPerReading]);
  ({ pool, repo, schema } = writes);
  // Loads the Subscriptions (the transactional path), so every later create may be written in one statement.
  patient = (await repo.createResource<Patient>({ resourceType: 'Patient' })) as Patient & { id: string };
});

afterAll(async () => {
  await writes?.close();
});

const reading = (subject: string, value: number, extra: Partial<Observation> = {}): Observation => ({
  resourceType: 'Observation',
  status: 'final',
  code: { coding: [{ system: code.split('|')[0], code: code.split('|')[1] }] },
  subject: { reference: subject },
  effectiveDateTime: new Date().toISOString(),
  valueQuantity: { value, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
  ...extra,
});

/** Jobs queued about these Observations (their keys name each version). */
async function jobsFor(observationIds: string[]): Promise<number> {
  const { rows } = await pool.query(
    `SELECT count(*)::int AS n FROM "${schema}"._private_jobs
      WHERE split_part(key, '/', 2) = ANY($1::text[]) AND key LIKE $2`,
    [observationIds, `${TASK}:Observation/%`]
  );
  return rows[0].n as number;
}

async function storedCount(ids: string[]): Promise<number> {
  const { rows } = await pool.query('SELECT count(*)::int AS n FROM resource WHERE id = ANY($1::text[])', [ids]);
  return rows[0].n as number;
}

describe('creates outside a transaction, arriving together', () => {
  test('are written in fewer statements than creates, each stored whole with its job', async () => {
    const count = 40;
    const burst = async () => {
      const before = writes.statements();
      const created = await Promise.all(
        Array.from({ length: count }, (_, i) => repo.createResource(reading(`Patient/${patient.id}`, 60 + i)))
      );
      return { created, sent: writes.statements() - before };
    };
    // The first GROUPED_CREATE_STATEMENTS go at once; the rest wait for them and go together.
    const { created, sent } = await burst();
    expect(sent).toBeGreaterThanOrEqual(GROUPED_CREATE_STATEMENTS);
    expect(sent).toBeLessThanOrEqual(count / 4);
    await expectStoredWhole(created);
  });
});

/** Every create of a burst is stored with its own value, searchable, with one history version and its job. */
async function expectStoredWhole(created: Observation[]): Promise<void> {
  const ids = created.map((c) => c.id as string);
  expect(new Set(ids).size).toBe(created.length);
  expect(await storedCount(ids)).toBe(created.length);
  // Each got its job, once.
  expect(await jobsFor(ids)).toBe(created.length);
  // Searchable (their index rows), with their own values, and one history version each.
  const found = await repo.search<Observation>({
    resourceType: 'Observation',
    filters: [
      { code: 'code', operator: 'eq', value: code },
      { code: '_id', operator: 'eq', value: ids.join(',') },
    ],
    count: 100,
  });
  const values = new Map(found.entry?.map((e) => [e.resource?.id, e.resource?.valueQuantity?.value]));
  expect(values.size).toBe(created.length);
  created.forEach((c) => expect(values.get(c.id)).toBe(c.valueQuantity?.value));
  for (const c of created.slice(0, 3)) {
    expect((await repo.readHistory('Observation', c.id as string)).entry).toHaveLength(1);
  }
}

describe('creates outside a transaction: a refused one among others, and a lone one', () => {
  test('one with a missing reference target is refused alone (422); the others are all stored', async () => {
    const missing = randomUUID();
    const outcomes = await Promise.allSettled([
      ...Array.from({ length: 12 }, (_, i) => repo.createResource(reading(`Patient/${patient.id}`, 70 + i))),
      repo.createResource({ ...reading('Patient/no-such-patient', 99), id: missing }, { assignedId: true }),
      ...Array.from({ length: 12 }, (_, i) => repo.createResource(reading(`Patient/${patient.id}`, 80 + i))),
    ]);
    const refused = outcomes.filter((o) => o.status === 'rejected');
    expect(refused).toHaveLength(1);
    const error = (refused[0] as PromiseRejectedResult).reason as OperationOutcomeError;
    expect(error).toBeInstanceOf(OperationOutcomeError);
    expect(error.outcome.id).toBe('http-422');
    expect(error.outcome.issue?.[0].details?.text).toMatch(/refers to Patient\/no-such-patient, which does not exist/);
    const stored = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value.id] : []));
    expect(stored).toHaveLength(24);
    expect(await storedCount(stored)).toBe(24);
    expect(await jobsFor(stored)).toBe(24);
    // Nothing of the refused one: no row, no job.
    expect(await storedCount([missing])).toBe(0);
    expect(await jobsFor([missing])).toBe(0);
  });

  test("a reading from a device assigned to someone else is refused alone; the device's own patient's pass", async () => {
    const other = await repo.createResource<Patient>({ resourceType: 'Patient' });
    const device = await repo.createResource<Device>({
      resourceType: 'Device',
      patient: { reference: `Patient/${patient.id}` },
    });
    const withDevice = (subject: string, value: number): Observation =>
      reading(subject, value, { device: { reference: `Device/${device.id}` } });
    const outcomes = await Promise.allSettled([
      ...Array.from({ length: 8 }, (_, i) => repo.createResource(withDevice(`Patient/${patient.id}`, 90 + i))),
      repo.createResource(withDevice(`Patient/${other.id}`, 120)),
      ...Array.from({ length: 8 }, (_, i) => repo.createResource(withDevice(`Patient/${patient.id}`, 100 + i))),
    ]);
    const refused = outcomes.filter((o) => o.status === 'rejected') as PromiseRejectedResult[];
    expect(refused).toHaveLength(1);
    expect((refused[0].reason as OperationOutcomeError).outcome.issue?.[0].details?.text).toContain(
      `Device/${device.id} is assigned to Patient/${patient.id}, not to the reading's subject`
    );
    const stored = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    expect(stored).toHaveLength(16);
    expect(stored.every((o) => o.subject?.reference === `Patient/${patient.id}`)).toBe(true);
    expect(await storedCount(stored.map((o) => o.id))).toBe(16);
  });

  test('a create on an idle pool is still one statement on its own', async () => {
    const before = writes.statements();
    const alone = await repo.createResource(reading(`Patient/${patient.id}`, 65));
    expect(writes.statements() - before).toBe(1);
    expect(await jobsFor([alone.id])).toBe(1);
  });
});

describe('creates behind statements that are stuck', () => {
  test(`wait at most ${MAX_GROUP_WAIT_MS} ms, then go in a statement of their own; the stuck ones finish later`, async () => {
    // Another session inserts two rows and keeps its transaction open: creates with the same ids wait on it.
    const stuckIds = [randomUUID(), randomUUID()];
    const blocker = await pool.connect();
    let stuck: Promise<Observation[]> | undefined;
    try {
      await blocker.query('BEGIN');
      for (const id of stuckIds) {
        await blocker.query(
          `INSERT INTO resource (resource_type, id, version_id, last_updated, content)
           VALUES ('Observation', $1, $2, now(), '{}')`,
          [id, randomUUID()]
        );
      }
      let stuckDone = false;
      stuck = Promise.all(
        stuckIds.map((id) => repo.createResource({ ...reading(`Patient/${patient.id}`, 75), id }, { assignedId: true }))
      ).finally(() => {
        stuckDone = true;
      });
      const grouped = groupedCreatesOf(pool);
      for (let i = 0; i < 100 && grouped.statementsWriting < GROUPED_CREATE_STATEMENTS; i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(grouped.statementsWriting).toBe(GROUPED_CREATE_STATEMENTS);
      // Both places are taken by stuck statements: a new create waits, then goes on its own.
      const started = performance.now();
      const free = await repo.createResource(reading(`Patient/${patient.id}`, 76));
      const waited = performance.now() - started;
      expect(waited).toBeGreaterThanOrEqual(MAX_GROUP_WAIT_MS - 5);
      expect(stuckDone).toBe(false);
      await expectStoredWhole([free]);
    } finally {
      await blocker.query('ROLLBACK');
      blocker.release();
    }
    // With the blocking transaction gone, the stuck creates are written as usual.
    await expectStoredWhole(await stuck);
  });
});
