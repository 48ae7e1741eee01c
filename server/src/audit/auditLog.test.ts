// The batched audit log on the test database: coalescing, transactions per batch, searching, failures, close().
import crypto from 'node:crypto';
import type { AuditEvent, Bundle } from '@medplum/fhirtypes';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createPool, type Db } from '../db/pool.ts';
import { PostgresRepository } from '../fhir/repository/postgresRepository.ts';
import { parseSearchQuery } from '../fhir/search/index.ts';
import type { AuditEntry } from './auditEvent.ts';
import { createAuditLog } from './auditLog.ts';

const TABLES = [
  'resource',
  'resource_history',
  'search_token',
  'search_string',
  'search_reference',
  'search_date',
  'search_number',
  'search_quantity',
  'search_uri',
];

let pool: Db;
let repo: PostgresRepository;

beforeAll(() => {
  pool = createPool(process.env.RPM_TEST_DATABASE_URL as string, 4);
  repo = new PostgresRepository(pool, { fhirBaseUrl: 'http://test/fhir/R4' });
});
afterAll(() => pool.end());

/** A marker unique to one test, so tests sharing the database only see their own events. */
function marker(): string {
  return `t${crypto.randomBytes(6).toString('hex')}`;
}

function readEntry(patientId: string, i: number, clientId = 'audit-test-client'): AuditEntry {
  return {
    action: 'read',
    outcome: 'success',
    recorded: new Date(Date.UTC(2025, 0, 1) + i),
    agent: { who: 'Practitioner/p1', accountId: 'acc-1', clientId, ip: '127.0.0.1' },
    entity: { reference: `Observation/o${i}` },
    patient: `Patient/${patientId}`,
  };
}

async function search(query: Record<string, string>): Promise<Bundle<AuditEvent>> {
  return repo.search(parseSearchQuery('AuditEvent', { _count: '0', ...query })) as Promise<Bundle<AuditEvent>>;
}

async function events(query: Record<string, string>): Promise<AuditEvent[]> {
  const bundle = await repo.search(parseSearchQuery('AuditEvent', { _count: '1000', _sort: '_id', ...query }));
  return (bundle.entry ?? []).map((e) => e.resource as AuditEvent);
}

/** The entities of the events other than the patient's own (role 1 on a Patient the event is about). */
function readsIn(list: AuditEvent[]): string[] {
  return list.flatMap((e) => (e.entity ?? []).filter((x) => x.role?.code !== '1').map((x) => x.what?.reference ?? ''));
}

/** The Observation references in stored AuditEvent rows (of a test schema). */
function observationsIn(rows: { content: string }[]): string[] {
  return rows
    .flatMap((r) => (JSON.parse(r.content) as AuditEvent).entity ?? [])
    .map((x) => x.what?.reference ?? '')
    .filter((ref) => ref.startsWith('Observation/'));
}

describe('createAuditLog', () => {
  test('2,000 reads are written as 20 AuditEvents of 100 in a few multi-row transactions, and are searchable', async () => {
    const patient = marker();
    const audit = createAuditLog({ pool, flushIntervalMs: 60_000, maxBatch: 500 });
    for (let i = 0; i < 2000; i++) {
      audit.record(readEntry(patient, i));
    }
    expect(audit.stats()).toMatchObject({ queued: 2000, written: 0 });
    await audit.flush();
    expect(audit.stats()).toEqual({ queued: 0, written: 2000, events: 20, dropped: 0, failedFlushes: 0 });

    const byPatient = await search({ patient: `Patient/${patient}` });
    expect(byPatient.total).toBe(20);
    // Every read is there, once, in order.
    const all = await events({ patient: `Patient/${patient}` });
    expect(readsIn(all)).toEqual(Array.from({ length: 2000 }, (_, i) => `Observation/o${i}`));
    // Rows written by one transaction share its xmin: 20 events in 4 transactions of 500 records.
    const ids = await pool.query(
      `SELECT count(*)::int AS events, count(DISTINCT r.xmin::text)::int AS transactions
         FROM resource r JOIN search_reference s ON s.resource_type = r.resource_type AND s.resource_id = r.id
        WHERE r.resource_type = 'AuditEvent' AND s.param = 'patient' AND s.ref = $1`,
      [`Patient/${patient}`]
    );
    expect(ids.rows[0]).toEqual({ events: 20, transactions: 4 });
    const history = await pool.query(
      `SELECT count(*)::int AS n FROM resource_history h JOIN search_reference s ON s.resource_id = h.id
        WHERE h.resource_type = 'AuditEvent' AND s.resource_type = 'AuditEvent' AND s.param = 'patient' AND s.ref = $1`,
      [`Patient/${patient}`]
    );
    expect(history.rows[0].n).toBe(20);

    expect((await search({ patient: `Patient/${patient}`, entity: 'Observation/o7' })).total).toBe(1);
    expect((await search({ patient: `Patient/${patient}`, entity: 'Observation/o1999' })).total).toBe(1);
    expect((await search({ patient: `Patient/${patient}`, agent: 'Practitioner/p1' })).total).toBe(20);
    expect((await search({ patient: `Patient/${patient}`, altid: 'acc-1', action: 'R', outcome: '0' })).total).toBe(20);
    expect(
      (
        await search({
          patient: `Patient/${patient}`,
          'agent:identifier': `http://rpm-platform.org/fhir/sid/oauth-client|audit-test-client`,
        })
      ).total
    ).toBe(20);
    // `date` is `recorded`, the last read of each event (o0–o99 end at .099).
    expect((await search({ patient: `Patient/${patient}`, date: 'lt2025-01-01T00:00:00.100Z' })).total).toBe(1);
    expect(
      (await search({ patient: `Patient/${patient}`, subtype: 'http://hl7.org/fhir/restful-interaction|read' })).total
    ).toBe(20);

    // Ids are time-ordered by the first record of each event; period spans its records, recorded is the last.
    expect(all.slice(0, 2).map((e) => [e.period, e.recorded])).toEqual([
      [{ start: '2025-01-01T00:00:00.000Z', end: '2025-01-01T00:00:00.099Z' }, '2025-01-01T00:00:00.099Z'],
      [{ start: '2025-01-01T00:00:00.100Z', end: '2025-01-01T00:00:00.199Z' }, '2025-01-01T00:00:00.199Z'],
    ]);
    await audit.close();
  });

  test('a full batch is written without waiting for the timer', async () => {
    const patient = marker();
    const audit = createAuditLog({ pool, flushIntervalMs: 60_000, maxBatch: 10 });
    for (let i = 0; i < 10; i++) {
      audit.record(readEntry(patient, i));
    }
    await expect
      .poll(async () => readsIn(await events({ patient: `Patient/${patient}` })).length, { timeout: 5000 })
      .toBe(10);
    await audit.close();
  });

  test('the timer writes a partial batch', async () => {
    const patient = marker();
    const audit = createAuditLog({ pool, flushIntervalMs: 50 });
    audit.record(readEntry(patient, 1));
    await expect.poll(async () => (await search({ patient: `Patient/${patient}` })).total, { timeout: 5000 }).toBe(1);
    await audit.close();
  });

  test('close() writes what is left, and later records are ignored', async () => {
    const patient = marker();
    const audit = createAuditLog({ pool, flushIntervalMs: 60_000 });
    audit.record(readEntry(patient, 1));
    audit.record(readEntry(patient, 2));
    await audit.close();
    expect(readsIn(await events({ patient: `Patient/${patient}` }))).toEqual(['Observation/o1', 'Observation/o2']);
    audit.record(readEntry(patient, 3));
    await audit.flush();
    expect(readsIn(await events({ patient: `Patient/${patient}` }))).toEqual(['Observation/o1', 'Observation/o2']);
  });

  describe('reads and searches of one caller in one batch share an AuditEvent', () => {
    /** Writes the entries in one batch and returns the events about the patient, oldest first. */
    async function written(patient: string, entries: AuditEntry[], options = {}): Promise<AuditEvent[]> {
      const audit = createAuditLog({ pool, flushIntervalMs: 60_000, ...options });
      for (const e of entries) {
        audit.record(e);
      }
      await audit.close();
      expect(audit.stats()).toMatchObject({ queued: 0, written: entries.length, dropped: 0 });
      return events({ patient: `Patient/${patient}` });
    }

    test('N reads by one caller: one AuditEvent with N entities, the patient once, period and recorded', async () => {
      const patient = marker();
      const [event, ...others] = await written(
        patient,
        Array.from({ length: 5 }, (_, i) => readEntry(patient, i))
      );
      expect(others).toEqual([]);
      expect(event).toMatchObject({
        subtype: [{ code: 'read' }],
        action: 'R',
        outcome: '0',
        period: { start: '2025-01-01T00:00:00.000Z', end: '2025-01-01T00:00:00.004Z' },
        recorded: '2025-01-01T00:00:00.004Z',
      });
      expect(event.agent?.[0]).toMatchObject({ who: { reference: 'Practitioner/p1' }, altId: 'acc-1' });
      expect(event.entity?.map((e) => [e.what?.reference, e.role?.code])).toEqual([
        ['Observation/o0', undefined],
        ['Observation/o1', undefined],
        ['Observation/o2', undefined],
        ['Observation/o3', undefined],
        ['Observation/o4', undefined],
        [`Patient/${patient}`, '1'],
      ]);
      for (const i of [0, 4]) {
        expect((await search({ entity: `Observation/o${i}`, patient: `Patient/${patient}` })).total).toBe(1);
      }
      expect((await search({ entity: `Patient/${patient}` })).total).toBe(1);
      expect((await search({ 'entity-type': 'Observation', patient: `Patient/${patient}` })).total).toBe(1);
    });

    test('reads of the Patient itself: each is an entity with the patient role, found by patient= and entity=', async () => {
      const patient = marker();
      const read = (i: number): AuditEntry => ({
        ...readEntry(patient, i),
        entity: { reference: `Patient/${patient}` },
      });
      const [event, ...others] = await written(patient, [read(0), read(1), read(2)]);
      expect(others).toEqual([]);
      expect(event.entity?.map((e) => [e.what?.reference, e.role?.code])).toEqual([
        [`Patient/${patient}`, '1'],
        [`Patient/${patient}`, '1'],
        [`Patient/${patient}`, '1'],
      ]);
      expect((await search({ entity: `Patient/${patient}` })).total).toBe(1);
    });

    test('two callers (another client, another address) get their own events', async () => {
      const patient = marker();
      const fromOtherAddress = { ...readEntry(patient, 2), agent: { ...readEntry(patient, 2).agent, ip: '10.9.9.9' } };
      const list = await written(patient, [
        readEntry(patient, 0),
        readEntry(patient, 1, 'other-client'),
        fromOtherAddress,
        readEntry(patient, 3),
      ]);
      expect(list.map((e) => readsIn([e]))).toEqual([
        ['Observation/o0', 'Observation/o3'],
        ['Observation/o1'],
        ['Observation/o2'],
      ]);
      expect((await search({ patient: `Patient/${patient}`, address: '10.9.9.9' })).total).toBe(1);
      expect(
        (
          await search({
            patient: `Patient/${patient}`,
            'agent:identifier': 'http://rpm-platform.org/fhir/sid/oauth-client|other-client',
          })
        ).total
      ).toBe(1);
    });

    test('writes stay one event each, apart from the reads around them', async () => {
      const patient = marker();
      const create = (i: number): AuditEntry => ({
        ...readEntry(patient, i),
        action: 'create',
        entity: { reference: `Observation/c${i}/_history/1` },
      });
      const list = await written(patient, [readEntry(patient, 0), create(1), create(2), readEntry(patient, 3)]);
      expect(list.map((e) => [e.subtype?.[0].code, readsIn([e]), e.period])).toEqual([
        ['read', ['Observation/o0', 'Observation/o3'], expect.anything()],
        ['create', ['Observation/c1/_history/1'], undefined],
        ['create', ['Observation/c2/_history/1'], undefined],
      ]);
    });

    test('past maxEntitiesPerEvent a new event starts; records far apart in time are not merged', async () => {
      const patient = marker();
      const late = { ...readEntry(patient, 7), recorded: new Date(Date.UTC(2025, 0, 1, 0, 0, 5)) };
      const list = await written(patient, [...Array.from({ length: 7 }, (_, i) => readEntry(patient, i)), late], {
        maxEntitiesPerEvent: 3,
        maxEventSpanMs: 1000,
      });
      expect(list.map((e) => readsIn([e]).length)).toEqual([3, 3, 1, 1]);
      expect(readsIn(list)).toEqual(Array.from({ length: 8 }, (_, i) => `Observation/o${i}`));
    });

    test('a failed read (404) is recorded with its failure outcome, apart from the successes', async () => {
      const patient = marker();
      const notFound = (i: number): AuditEntry => ({ ...readEntry(patient, i), outcome: 'failure', status: 404 });
      const forbidden: AuditEntry = { ...readEntry(patient, 4), outcome: 'failure', status: 403 };
      const list = await written(patient, [
        readEntry(patient, 0),
        notFound(1),
        readEntry(patient, 2),
        notFound(3),
        forbidden,
      ]);
      expect(list.map((e) => [e.outcome, e.outcomeDesc, readsIn([e])])).toEqual([
        ['0', undefined, ['Observation/o0', 'Observation/o2']],
        ['4', 'HTTP 404', ['Observation/o1', 'Observation/o3']],
        ['4', 'HTTP 403', ['Observation/o4']],
      ]);
      expect((await search({ patient: `Patient/${patient}`, outcome: '4' })).total).toBe(2);
      expect((await search({ patient: `Patient/${patient}`, outcome: '4', entity: 'Observation/o3' })).total).toBe(1);
    });

    test('searches coalesce with one query entity each; other patients and no patient are separate', async () => {
      const patient = marker();
      const other = marker();
      const searchOf = (p: string | undefined, query: string, i: number): AuditEntry => ({
        ...readEntry(p ?? 'none', i),
        action: 'search',
        entity: { type: 'Observation', query },
        patient: p ? `Patient/${p}` : undefined,
      });
      const list = await written(patient, [
        searchOf(patient, `subject=Patient/${patient}&code=a`, 0),
        searchOf(other, `subject=Patient/${other}`, 1),
        searchOf(undefined, `code=${patient}`, 2),
        searchOf(patient, `subject=Patient/${patient}&code=b`, 3),
        // A read is another action class, even with the same caller and patient.
        readEntry(patient, 4),
      ]);
      expect(list).toHaveLength(2);
      const [searches, read] = list;
      expect(searches.subtype?.[0].code).toBe('search-type');
      expect(searches.action).toBe('E');
      expect(
        searches.entity?.map((e) => [e.role?.code, e.query && Buffer.from(e.query, 'base64').toString('utf8')])
      ).toEqual([
        ['24', `subject=Patient/${patient}&code=a`],
        ['24', `subject=Patient/${patient}&code=b`],
        ['1', undefined],
      ]);
      expect(read.subtype?.[0].code).toBe('read');
      expect((await search({ patient: `Patient/${other}` })).total).toBe(1);
    });
  });

  describe('when the database fails', () => {
    // A pool whose search_path is a schema without the tables: every write fails with "relation does not exist",
    // until the tables are created there. Nothing in the shared public schema is touched.
    const schema = `audit_failure_${crypto.randomBytes(4).toString('hex')}`;
    let failingPool: pg.Pool;

    beforeAll(async () => {
      await pool.query(`CREATE SCHEMA ${schema}`);
      failingPool = new pg.Pool({
        connectionString: process.env.RPM_TEST_DATABASE_URL,
        max: 2,
        options: `-c search_path=${schema}`,
      });
    });
    afterAll(async () => {
      await failingPool.end();
      await pool.query(`DROP SCHEMA ${schema} CASCADE`);
    });

    test('entries are kept and written by the next flush once it works again', async () => {
      const messages: string[] = [];
      const audit = createAuditLog({ pool: failingPool, flushIntervalMs: 60_000, log: (m) => messages.push(m) });
      for (let i = 0; i < 5; i++) {
        audit.record(readEntry('kept', i));
      }
      await expect(audit.flush()).rejects.toThrow(/does not exist/);
      audit.record(readEntry('kept', 5));
      await expect(audit.flush()).rejects.toThrow(/does not exist/);
      expect(messages.some((m) => /writing 6 audit events failed/.test(m))).toBe(true);

      for (const table of TABLES) {
        await pool.query(`CREATE TABLE ${schema}.${table} (LIKE public.${table} INCLUDING ALL)`);
      }
      await audit.flush();
      const written = await pool.query(`SELECT content FROM ${schema}.resource ORDER BY id`);
      expect(observationsIn(written.rows)).toEqual([
        'Observation/o0',
        'Observation/o1',
        'Observation/o2',
        'Observation/o3',
        'Observation/o4',
        'Observation/o5',
      ]);
      // One caller's reads: one AuditEvent (one resource row, one history row).
      expect((await pool.query(`SELECT count(*)::int AS n FROM ${schema}.resource_history`)).rows[0].n).toBe(1);
      expect(audit.stats()).toMatchObject({ queued: 0, written: 6, events: 1 });
      expect(messages.at(-1)).toMatch(/writing again after 2 failed attempts/);
      await audit.close();
      await pool.query(`TRUNCATE ${TABLES.map((t) => `${schema}.${t}`).join(', ')}`);
    });

    test('past maxQueued the oldest are dropped, and the drop is logged once per flush', async () => {
      await pool.query(`DROP TABLE IF EXISTS ${schema}.search_string`);
      const messages: string[] = [];
      const audit = createAuditLog({
        pool: failingPool,
        flushIntervalMs: 60_000,
        maxBatch: 10,
        maxQueued: 25,
        log: (m) => messages.push(m),
      });
      for (let i = 0; i < 40; i++) {
        audit.record(readEntry('dropped', i));
      }
      await expect(audit.flush()).rejects.toThrow(/search_string/);
      expect(audit.stats()).toMatchObject({ queued: 25, written: 0, dropped: 15 });
      expect(messages.filter((m) => /DROPPED/.test(m))).toEqual([
        'Audit log: DROPPED 15 audit events (queue full at 25 while the database was failing)',
      ]);
      await pool.query(`CREATE TABLE ${schema}.search_string (LIKE public.search_string INCLUDING ALL)`);
      await audit.close();
      const written = await pool.query(`SELECT content FROM ${schema}.resource`);
      const references = observationsIn(written.rows);
      expect(references).toHaveLength(25);
      expect(references).toContain('Observation/o15');
      expect(references).not.toContain('Observation/o14');
    });
  });
});
