// Migrations: applied once, recorded, and a second run applies nothing.
import { afterAll, describe, expect, test } from 'vitest';
import { createPool } from './pool.ts';
import { migrate } from './migrate.ts';

describe('migrate', () => {
  const pool = createPool(process.env.RPM_TEST_DATABASE_URL as string, 2);
  afterAll(() => pool.end());

  test('a second run applies nothing and every migration is recorded', async () => {
    expect(await migrate(pool)).toEqual([]);
    const { rows } = await pool.query('SELECT name FROM schema_migration ORDER BY name');
    expect(rows.map((r) => r.name)).toContain('001_resources.sql');
    const tables = await pool.query("SELECT to_regclass('resource') AS r, to_regclass('resource_history') AS h");
    expect(tables.rows[0]).toEqual({ r: 'resource', h: 'resource_history' });
  });
});
