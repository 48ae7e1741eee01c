// Creates the fresh PostgreSQL database a test run uses: on DATABASE_URL's server, or an embedded one.
import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../db/embeddedPostgres.ts';
import { migrate } from '../db/migrate.ts';
import { createPool } from '../db/pool.ts';
import { freePort } from './freePort.ts';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

async function createDatabaseOn(serverUrl: string, name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function dropDatabaseOn(serverUrl: string, name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/** A new, empty database named for this run; dropped (and any embedded cluster removed) by drop(). */
export async function createTestDatabase(prefix = 'rpm_test'): Promise<TestDatabase> {
  const name = `${prefix}_${Date.now()}_${crypto.randomBytes(3).toString('hex')}`;
  const external = process.env.DATABASE_URL;
  if (external) {
    const url = await createDatabaseOn(external, name);
    return { url, drop: () => dropDatabaseOn(external, name) };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rpm-pg-'));
  // The embedded cluster may run as a separate 'postgres' OS user (when we are root): let it in.
  fs.chmodSync(dir, 0o755);
  // Chosen by the operating system: a random port could be one another cluster or an outgoing connection holds (a CI
  // run's embedded cluster failed to start once, with no message).
  const port = await freePort();
  const embedded: EmbeddedDatabase = await startEmbeddedPostgres(path.join(dir, 'data'), port, name);
  return {
    url: embedded.url,
    async drop() {
      await embedded.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A new migrated database on the server of this run's test database (RPM_TEST_DATABASE_URL), for a test file whose
 * assertions depend on the table statistics of its own data alone, such as query plans: in the shared test database
 * the rows other files write in parallel change the planner's estimates from run to run.
 */
export async function createDatabaseBesideTestDatabase(prefix: string): Promise<TestDatabase> {
  const server = process.env.RPM_TEST_DATABASE_URL as string;
  const name = `${prefix}_${Date.now()}_${crypto.randomBytes(3).toString('hex')}`;
  const url = await createDatabaseOn(server, name);
  const pool = createPool(url, 1);
  try {
    await migrate(pool);
  } finally {
    await pool.end();
  }
  return { url, drop: () => dropDatabaseOn(server, name) };
}
