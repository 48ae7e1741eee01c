// PostgreSQL connection pool and the transaction helper every write goes through.
import pg from 'pg';

export type Db = pg.Pool;
export type DbClient = pg.PoolClient;

// Timestamps come back as ISO strings we control, numerics as strings (exact), never as JS Dates.
pg.types.setTypeParser(pg.types.builtins.TIMESTAMPTZ, (v) => v);

/** Connections per server instance (PostgreSQL's default max_connections of 100 allows four instances and tools). */
export const DEFAULT_POOL_SIZE = 20;

export function createPool(connectionString: string, max = DEFAULT_POOL_SIZE): Db {
  const pool = new pg.Pool({
    connectionString,
    max,
    application_name: 'rpm-server',
    // Our queries are short index lookups: parallel workers and JIT compilation only add milliseconds to them.
    options: '-c max_parallel_workers_per_gather=0 -c jit=off',
  });
  // An idle client losing its connection must not crash the process.
  pool.on('error', (err) => console.error('PostgreSQL pool error:', err.message));
  // Nor may a checked-out client's connection error escape as an unhandled 'error' event (the query in flight fails).
  pool.on('connect', (client) => {
    client.on('error', (err) => console.error('PostgreSQL connection error:', err.message));
  });
  return pool;
}

/** Runs fn inside BEGIN/COMMIT on one client, rolling back on any error. */
export async function withDbTransaction<T>(
  pool: Db,
  fn: (client: DbClient) => Promise<T>,
  isolation: 'READ COMMITTED' | 'REPEATABLE READ' | 'SERIALIZABLE' = 'READ COMMITTED'
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query(`BEGIN ISOLATION LEVEL ${isolation}`);
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** A statement sent as pg's query config: with `name`, prepared on its connection (see preparedStatements.ts). */
export interface NamedStatement {
  text: string;
  values: unknown[];
  name?: string;
}

/** Anything with pg's query(): the pool, or a client inside a transaction. */
export interface Queryable {
  query(text: string | NamedStatement, values?: unknown[]): Promise<{ rows: any[]; rowCount: number | null }>; // eslint-disable-line @typescript-eslint/no-explicit-any
}
