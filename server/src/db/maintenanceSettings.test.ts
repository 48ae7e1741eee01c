// The start-up warning about autovacuum: worded for each setting, and read from the real test PostgreSQL.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../testing/testDatabase.ts';
import { createPool, type Db } from './pool.ts';
import { maintenanceWarnings, readMaintenanceSettings, warnAboutMaintenance } from './maintenanceSettings.ts';

describe('maintenanceWarnings', () => {
  test('none when autovacuum and track_counts are on', () => {
    expect(maintenanceWarnings({ autovacuum: 'on', track_counts: 'on' })).toEqual([]);
  });

  test('autovacuum off: says what slows down and what to do', () => {
    const [warning, ...rest] = maintenanceWarnings({ autovacuum: 'off', track_counts: 'on' });
    expect(rest).toEqual([]);
    expect(warning).toContain('autovacuum is off');
    expect(warning).toContain('alerts slow down');
    expect(warning).toContain('autovacuum = on');
  });

  test('track_counts off is named on its own', () => {
    const warnings = maintenanceWarnings({ autovacuum: 'off', track_counts: 'off' });
    expect(warnings).toHaveLength(2);
    expect(warnings[1]).toContain('track_counts = on');
  });
});

describe('on the test PostgreSQL', () => {
  let database: TestDatabase;
  let pool: Db;
  beforeAll(async () => {
    database = await createTestDatabase('rpm_maintenance');
    pool = createPool(database.url, 1);
  }, 120_000);
  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  test("reads the server's own settings and warns exactly when autovacuum is off", async () => {
    const shown = (await pool.query('SHOW autovacuum')).rows[0].autovacuum as string;
    const settings = await readMaintenanceSettings(pool);
    expect(settings.autovacuum).toBe(shown);
    expect(settings.track_counts).toBe((await pool.query('SHOW track_counts')).rows[0].track_counts);
    const printed: string[] = [];
    await warnAboutMaintenance(pool, (message) => printed.push(message));
    expect(printed.some((m) => m.includes('autovacuum is off'))).toBe(shown === 'off');
  });
});
