// The batched audit log against the test database: transactions per batch, searchability, failures kept, close().
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

describe('createAuditLog', () => {
  test('2,000 records are written in a few multi-row transactions, and are searchable', async () => {
    const patient = marker();
    const audit = createAuditLog({ pool, flushIntervalMs: 60_000, maxBatch: 500 });
    for (let i = 0; i < 2000; i++) {
      audit.record(readEntry(patient, i));
    }
    expect(audit.stats()).toMatchObject({ queued: 2000, written: 0 });
    await audit.flush();
    expect(audit.stats()).toEqual({ queued: 0, written: 2000, dropped: 0, failedFlushes: 0 });

    const byPatient = await search({ patient: `Patient/${patient}` });
    expect(byPatient.total).toBe(2000);
    // Rows written by one transaction share its xmin: 2,000 events in 4 transactions of 500.
    const ids = await pool.query(
      `SELECT count(*)::int AS events, count(DISTINCT r.xmin::text)::int AS transactions
         FROM resource r JOIN search_reference s ON s.resource_type = r.resource_type AND s.resource_id = r.id
        WHERE r.resource_type = 'AuditEvent' AND s.param = 'patient' AND s.ref = $1`,
      [`Patient/${patient}`]
    );
    expect(ids.rows[0]).toEqual({ events: 2000, transactions: 4 });
    const history = await pool.query(
      `SELECT count(*)::int AS n FROM resource_history h JOIN search_reference s ON s.resource_id = h.id
        WHERE h.resource_type = 'AuditEvent' AND s.resource_type = 'AuditEvent' AND s.param = 'patient' AND s.ref = $1`,
      [`Patient/${patient}`]
    );
    expect(history.rows[0].n).toBe(2000);

    expect((await search({ patient: `Patient/${patient}`, entity: 'Observation/o7' })).total).toBe(1);
    expect((await search({ patient: `Patient/${patient}`, agent: 'Practitioner/p1' })).total).toBe(2000);
    expect((await search({ patient: `Patient/${patient}`, altid: 'acc-1', action: 'R', outcome: '0' })).total).toBe(
      2000
    );
    expect(
      (
        await search({
          patient: `Patient/${patient}`,
          'agent:identifier': `http://rpm-platform.org/fhir/sid/oauth-client|audit-test-client`,
        })
      ).total
    ).toBe(2000);
    expect((await search({ patient: `Patient/${patient}`, date: 'lt2025-01-01T00:00:00.100Z' })).total).toBe(100);
    expect(
      (await search({ patient: `Patient/${patient}`, subtype: 'http://hl7.org/fhir/restful-interaction|read' })).total
    ).toBe(2000);

    // Ids are time-ordered by when the event was recorded.
    const page = await repo.search(
      parseSearchQuery('AuditEvent', { patient: `Patient/${patient}`, _count: '3', _sort: '_id' })
    );
    const recorded = (page.entry ?? []).map((e) => (e.resource as AuditEvent).recorded);
    expect(recorded).toEqual(['2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.001Z', '2025-01-01T00:00:00.002Z']);
    await audit.close();
  });

  test('a full batch is written without waiting for the timer', async () => {
    const patient = marker();
    const audit = createAuditLog({ pool, flushIntervalMs: 60_000, maxBatch: 10 });
    for (let i = 0; i < 10; i++) {
      audit.record(readEntry(patient, i));
    }
    await expect.poll(async () => (await search({ patient: `Patient/${patient}` })).total, { timeout: 5000 }).toBe(10);
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
    expect((await search({ patient: `Patient/${patient}` })).total).toBe(2);
    audit.record(readEntry(patient, 3));
    await audit.flush();
    expect((await search({ patient: `Patient/${patient}` })).total).toBe(2);
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
      expect(written.rows.map((r) => (JSON.parse(r.content) as AuditEvent).entity?.[0].what?.reference)).toEqual([
        'Observation/o0',
        'Observation/o1',
        'Observation/o2',
        'Observation/o3',
        'Observation/o4',
        'Observation/o5',
      ]);
      expect((await pool.query(`SELECT count(*)::int AS n FROM ${schema}.resource_history`)).rows[0].n).toBe(6);
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
      const references = written.rows.map((r) => (JSON.parse(r.content) as AuditEvent).entity?.[0].what?.reference);
      expect(references).toHaveLength(25);
      expect(references).toContain('Observation/o15');
      expect(references).not.toContain('Observation/o14');
    });
  });
});
