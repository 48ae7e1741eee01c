// vitest global setup: one fresh migrated database for the whole run, exposed as RPM_TEST_DATABASE_URL.
import { createPool } from '../db/pool.ts';
import { migrate } from '../db/migrate.ts';
import { createTestDatabase, type TestDatabase } from './testDatabase.ts';

let database: TestDatabase | undefined;

export async function setup(): Promise<void> {
  database = await createTestDatabase();
  const pool = createPool(database.url, 2);
  try {
    await migrate(pool);
  } finally {
    await pool.end();
  }
  process.env.RPM_TEST_DATABASE_URL = database.url;
}

export async function teardown(): Promise<void> {
  await database?.drop();
}
