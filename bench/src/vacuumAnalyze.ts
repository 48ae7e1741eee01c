// After the load, VACUUM (ANALYZE) the bench database: a freshly bulk-loaded database has no planner statistics
// and no visibility map yet, which a long-running system (with autovacuum) always has.
import pg from 'pg';

/** Seconds VACUUM (ANALYZE) of the whole database took. */
export async function vacuumAnalyze(databaseUrl: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'rpm-bench-vacuum' });
  await client.connect();
  try {
    const started = performance.now();
    await client.query('VACUUM (ANALYZE)');
    return (performance.now() - started) / 1000;
  } finally {
    await client.end().catch(() => undefined);
  }
}
