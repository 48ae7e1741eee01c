// Database errors become OperationOutcomes: client-caused ones 4xx, the rest 500, using real PostgreSQL errors.
import { getStatus, OperationOutcomeError } from '@medplum/core';
import { afterAll, describe, expect, test } from 'vitest';
import { createPool } from '../../db/pool.ts';
import { statusOf } from '../../http/outcomes.ts';
import { toOperationOutcomeError } from './databaseErrors.ts';

const pool = createPool(process.env.RPM_TEST_DATABASE_URL as string, 2);
afterAll(() => pool.end());

async function errorOf(sql: string, values: unknown[] = []): Promise<unknown> {
  try {
    await pool.query(sql, values);
  } catch (err) {
    return err;
  }
  throw new Error('expected the statement to fail');
}

describe('toOperationOutcomeError', () => {
  test('a unique violation (two writers of one new id) is 409 Conflict', async () => {
    await pool.query('CREATE TEMP TABLE IF NOT EXISTS t_unique (id text PRIMARY KEY)');
    const err = await errorOf("INSERT INTO t_unique VALUES ('a'), ('a')");
    expect(getStatus(toOperationOutcomeError(err).outcome)).toBe(409);
  });

  test('an invalid date or number is 400', async () => {
    expect(getStatus(toOperationOutcomeError(await errorOf("SELECT '2024-02-30'::timestamptz")).outcome)).toBe(400);
    expect(getStatus(toOperationOutcomeError(await errorOf("SELECT 'abc'::numeric")).outcome)).toBe(400);
  });

  test('an unreachable database is 503, so clients retry', async () => {
    const unreachable = createPool('postgres://postgres@127.0.0.1:1/none', 1);
    const err = await unreachable.query('SELECT 1').catch((e: unknown) => e);
    await unreachable.end();
    expect(statusOf(toOperationOutcomeError(err).outcome)).toBe(503);
  });

  test('anything else is a 500 server error, and OperationOutcomeErrors pass through', async () => {
    expect(getStatus(toOperationOutcomeError(await errorOf('SELECT * FROM no_such_table')).outcome)).toBe(500);
    const own = new OperationOutcomeError({ resourceType: 'OperationOutcome', id: 'not-found', issue: [] });
    expect(toOperationOutcomeError(own)).toBe(own);
  });
});
