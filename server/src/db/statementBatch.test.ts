// A batch's guards are read in the writes' own snapshot: a guard that does not hold undoes every write of the batch.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createPool, type Db } from './pool.ts';
import { isWriteGuardFailure, StatementBatch, WRITE_GUARD_FAILED } from './statementBatch.ts';

let pool: Db;
const table = `batch_guard_${randomUUID().replaceAll('-', '').slice(0, 12)}`;

beforeAll(async () => {
  pool = createPool(process.env.RPM_TEST_DATABASE_URL as string, 2);
  await pool.query(`CREATE TABLE ${table} (id text PRIMARY KEY)`);
});

afterAll(async () => {
  await pool.query(`DROP TABLE IF EXISTS ${table}`);
  await pool.end();
});

function insertWithGuard(ids: string[], guard: string, values: unknown[]): StatementBatch {
  const batch = new StatementBatch();
  for (const id of ids) {
    batch.add((n) => `INSERT INTO ${table} (id) VALUES ($${n})`, [id]);
  }
  batch.addGuard(() => guard, values);
  return batch;
}

async function stored(): Promise<string[]> {
  return (await pool.query(`SELECT id FROM ${table} ORDER BY id`)).rows.map((r) => r.id as string);
}

describe('StatementBatch guards', () => {
  test('a guard that holds lets every write through, in one statement', async () => {
    await insertWithGuard(['a', 'b'], `(SELECT count(*) FROM ${table}) = 0`, []).run(pool);
    expect(await stored()).toEqual(['a', 'b']);
  });

  test('a guard that does not hold (or is null) fails with RPM01 and writes nothing, even with one write', async () => {
    for (const [ids, guard] of [
      [['c', 'd'], `(SELECT count(*) FROM ${table}) = 0`],
      [['e'], 'NULL::boolean'],
    ] as const) {
      const error = await insertWithGuard([...ids], guard, [])
        .run(pool)
        .then(
          () => undefined,
          (err: unknown) => err
        );
      expect(isWriteGuardFailure(error)).toBe(true);
      expect((error as { code: string }).code).toBe(WRITE_GUARD_FAILED);
    }
    expect(await stored()).toEqual(['a', 'b']);
  });

  test("guards see the snapshot before the batch's own writes, and their placeholders follow the writes'", async () => {
    // The row being inserted is not visible to the guard: a guard "f is not there yet" holds.
    const batch = insertWithGuard(['f'], `NOT EXISTS (SELECT 1 FROM ${table} WHERE id = $2)`, ['f']);
    await batch.run(pool);
    expect(await stored()).toEqual(['a', 'b', 'f']);
    expect(isWriteGuardFailure(new Error('other'))).toBe(false);
  });
});
