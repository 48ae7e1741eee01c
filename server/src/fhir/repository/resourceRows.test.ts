// Writing many versions at once: current rows and history stored exactly, whether the JSON goes as plain or array parameters.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createPool, type Db } from '../../db/pool.ts';
import { createDatabaseBesideTestDatabase, type TestDatabase } from '../../testing/testDatabase.ts';
import { selectCurrentRows, selectVersionRow, writeResourceVersions, type ResourceVersionRow } from './resourceRows.ts';

let database: TestDatabase;
let pool: Db;

beforeAll(async () => {
  database = await createDatabaseBesideTestDatabase('rpm_resource_rows_test');
  pool = createPool(database.url, 2);
});

afterAll(async () => {
  await pool?.end();
  await database?.drop();
});

/** `count` new Basic versions whose JSON holds quotes, backslashes, braces and non-ASCII text. */
function versions(count: number): ResourceVersionRow[] {
  const lastUpdated = new Date().toISOString();
  return Array.from({ length: count }, (_, i) => {
    const id = randomUUID();
    const text = `row ${i}: "quoted" \\ backslash {"a":[1,2]} \\" é€😀 \t`;
    return {
      resourceType: 'Basic',
      id,
      versionId: randomUUID(),
      lastUpdated,
      deleted: false,
      operation: 'create',
      content: JSON.stringify({ resourceType: 'Basic', id, code: { text } }),
    };
  });
}

async function expectStoredExactly(rows: ResourceVersionRow[]): Promise<void> {
  const current = await selectCurrentRows(pool, rows);
  expect(current.size).toBe(rows.length);
  for (const row of rows) {
    expect(current.get(`Basic/${row.id}`)?.content).toBe(row.content);
  }
  for (const row of [rows[0], rows[rows.length - 1]]) {
    expect((await selectVersionRow(pool, 'Basic', row.id, row.versionId))?.content).toBe(row.content);
  }
  const { rows: history } = await pool.query(
    'SELECT count(*)::int AS n FROM resource_history WHERE id = ANY($1::text[])',
    [rows.map((r) => r.id)]
  );
  expect(history[0].n).toBe(rows.length);
}

describe('writeResourceVersions', () => {
  test('a few versions (each JSON a parameter of its own): stored exactly, current row and history', async () => {
    const rows = versions(3);
    await writeResourceVersions(pool, rows);
    await expectStoredExactly(rows);
  });

  test('more versions than plain parameters allow (their JSON as one array parameter): stored exactly', async () => {
    const rows = versions(5001);
    await writeResourceVersions(pool, rows);
    await expectStoredExactly(rows);
  });
});
