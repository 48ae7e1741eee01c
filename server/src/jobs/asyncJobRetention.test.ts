// Removing ended AsyncJobs on a real database of its own: what goes (rows, history, index rows), what stays, batches.
import type { AsyncJob, Patient } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { BackgroundDeps } from '../background.ts';
import { loadConfig } from '../config.ts';
import { createPool, type Db } from '../db/pool.ts';
import { loadFhirDefinitions } from '../fhir/definitions.ts';
import { PostgresRepository } from '../fhir/repository/postgresRepository.ts';
import { TABLE_NAMES } from '../fhir/search/types.ts';
import { createDatabaseBesideTestDatabase, type TestDatabase } from '../testing/testDatabase.ts';
import { ASYNC_JOB_RETENTION_TASK, asyncJobRetentionModule, removeEndedAsyncJobs } from './asyncJobRetention.ts';

let database: TestDatabase;
let pool: Db;
let repo: PostgresRepository;

// A database of its own: removal is database-wide, and other files' AsyncJobs must not be touched.
beforeAll(async () => {
  loadFhirDefinitions();
  database = await createDatabaseBesideTestDatabase('rpm_async_job_retention_test');
  pool = createPool(database.url, 2);
  repo = new PostgresRepository(pool, { fhirBaseUrl: 'http://localhost/fhir/R4' });
});

afterAll(async () => {
  await pool?.end();
  await database?.drop();
});

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An AsyncJob created `accepted`, then (unless `accepted`) updated to `status`, as a queued run's is. */
async function asyncJob(status: AsyncJob['status']): Promise<string> {
  const created = await repo.createResource<AsyncJob>({
    resourceType: 'AsyncJob',
    status: 'accepted',
    requestTime: new Date().toISOString(),
    request: 'http://localhost/fhir/R4/Bot/some-bot/$execute',
  });
  if (status !== 'accepted') {
    await repo.updateResource<AsyncJob>({ ...created, status, transactionTime: new Date().toISOString() });
  }
  return created.id;
}

/** Rows of these AsyncJobs in the resource table, the history and every search index table. */
async function storedRows(ids: string[]): Promise<{ current: number; history: number; index: number }> {
  const count = async (sql: string) => Number((await pool.query(sql, [ids])).rows[0].n);
  const index = await Promise.all(
    Object.values(TABLE_NAMES).map((table) =>
      count(`SELECT count(*) AS n FROM ${table} WHERE resource_type = 'AsyncJob' AND resource_id = ANY($1::text[])`)
    )
  );
  return {
    current: await count(
      `SELECT count(*) AS n FROM resource WHERE resource_type = 'AsyncJob' AND id = ANY($1::text[])`
    ),
    history: await count(
      `SELECT count(*) AS n FROM resource_history WHERE resource_type = 'AsyncJob' AND id = ANY($1::text[])`
    ),
    index: index.reduce((a, b) => a + b, 0),
  };
}

describe('removing ended AsyncJobs', () => {
  test('removes those that ended before the cutoff, with every version and index row; keeps unfinished and recent ones and other resources', async () => {
    const ended = [await asyncJob('completed'), await asyncJob('error'), await asyncJob('cancelled')];
    const deleted = await asyncJob('completed');
    await repo.deleteResource('AsyncJob', deleted);
    const unfinished = [await asyncJob('accepted'), await asyncJob('active')];
    const patient = await repo.createResource<Patient>({ resourceType: 'Patient', name: [{ family: 'Kept' }] });
    await pause(20);
    const cutoff = new Date();
    await pause(20);
    const recent = await asyncJob('completed');
    const gone = [...ended, deleted];
    expect((await storedRows(gone)).index).toBeGreaterThan(0);

    expect(await removeEndedAsyncJobs(pool, cutoff)).toEqual({ removed: 4, more: false });

    expect(await storedRows(gone)).toEqual({ current: 0, history: 0, index: 0 });
    // Not 410 Gone: nothing of them remains.
    for (const id of gone) {
      await expect(repo.readResource('AsyncJob', id)).rejects.toThrow(/Not found/i);
    }
    // An unfinished job is kept however old, a recent one until its time comes; each with its two or one versions.
    expect(await storedRows([...unfinished, recent])).toMatchObject({ current: 3, history: 5 });
    expect((await repo.readResource<AsyncJob>('AsyncJob', unfinished[1])).status).toBe('active');
    expect((await repo.readResource<AsyncJob>('AsyncJob', recent)).status).toBe('completed');
    expect((await repo.readResource<Patient>('Patient', patient.id)).name?.[0].family).toBe('Kept');

    // Nothing more to remove: a second run removes nothing.
    expect(await removeEndedAsyncJobs(pool, cutoff)).toEqual({ removed: 0, more: false });
  });

  test('works in batches, oldest first, and stops after its last batch, saying more remain', async () => {
    await removeEndedAsyncJobs(pool, new Date()); // the earlier test's recent job: only these 25 have ended
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) {
      ids.push(await asyncJob('completed'));
      await pause(3); // each ended at a time of its own (milliseconds)
    }
    const cutoff = new Date(Date.now() + 1000);
    expect(await removeEndedAsyncJobs(pool, cutoff, { perBatch: 10, maxBatches: 2 })).toEqual({
      removed: 20,
      more: true,
    });
    // The oldest 20 went first.
    expect((await storedRows(ids.slice(0, 20))).current).toBe(0);
    expect((await storedRows(ids.slice(20))).current).toBe(5);
    expect(await removeEndedAsyncJobs(pool, cutoff, { perBatch: 10, maxBatches: 2 })).toEqual({
      removed: 5,
      more: false,
    });
  });

  test('the hourly job removes those that ended more than RPM_ASYNC_JOB_RETENTION_DAYS ago; 0 keeps them all', async () => {
    const eightDaysAgo = await asyncJob('completed');
    const sixDaysAgo = await asyncJob('error');
    // Their last versions dated back, as if they had ended then.
    await pool.query(
      `UPDATE resource SET last_updated = now() - make_interval(days => $2) WHERE resource_type = 'AsyncJob' AND id = $1`,
      [eightDaysAgo, 8]
    );
    await pool.query(
      `UPDATE resource SET last_updated = now() - make_interval(days => $2) WHERE resource_type = 'AsyncJob' AND id = $1`,
      [sixDaysAgo, 6]
    );
    const deps = (days: string) =>
      ({ config: loadConfig({ RPM_ASYNC_JOB_RETENTION_DAYS: days }), pool }) as unknown as BackgroundDeps;

    expect(asyncJobRetentionModule(deps('0'))).toEqual({});
    const hourly = asyncJobRetentionModule(deps('7'));
    expect(hourly.recurring).toEqual([
      { task: ASYNC_JOB_RETENTION_TASK, pattern: '17 * * * *', identifier: ASYNC_JOB_RETENTION_TASK },
    ]);
    await hourly.tasks?.[ASYNC_JOB_RETENTION_TASK]({}, { attempts: 1, maxAttempts: 1, jobId: '1' });
    expect((await storedRows([eightDaysAgo])).current).toBe(0);
    expect((await storedRows([sixDaysAgo])).current).toBe(1);
  });

  test('RPM_ASYNC_JOB_RETENTION_DAYS must be a whole number of days', () => {
    expect(loadConfig({}).jobs.asyncJobRetentionDays).toBe(7);
    expect(() => loadConfig({ RPM_ASYNC_JOB_RETENTION_DAYS: 'a week' })).toThrow(
      /RPM_ASYNC_JOB_RETENTION_DAYS must be a non-negative integer/
    );
  });
});
