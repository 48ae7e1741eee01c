// The physical limit: PostgreSQL insert rate of the same Observation JSON rows, in transactions of 100, from this process.
import crypto from 'node:crypto';
import pg from 'pg';
import { bundleSlices } from './bundlePlan.ts';
import { patientReadings, type MonitoredPatient, type ReadingPlan } from './generateObservations.ts';

export interface RawInsertResult {
  rows: number;
  rowsPerTransaction: number;
  connections: number;
  seconds: number;
  rowsPerSecond: number;
}

const SCRATCH_TABLE = 'bench_raw_observation';

/** The first `count` Observations of the load (same order, same content), as stored JSON with id and meta. */
export function rawObservationRows(
  plan: ReadingPlan,
  patients: MonitoredPatient[],
  bundleSize: number,
  count: number
): { ids: string[]; contents: string[] } {
  const ids: string[] = [];
  const contents: string[] = [];
  const lastUpdated = new Date().toISOString();
  for (const slice of bundleSlices(patients, plan.perPatient, bundleSize)) {
    if (ids.length >= count) {
      break;
    }
    for (const observation of patientReadings(plan, slice.patient, slice.from, slice.to)) {
      if (ids.length >= count) {
        break;
      }
      const id = crypto.randomUUID();
      ids.push(id);
      contents.push(JSON.stringify({ ...observation, id, meta: { versionId: crypto.randomUUID(), lastUpdated } }));
    }
  }
  return { ids, contents };
}

/**
 * Inserts the rows into a scratch table (id text primary key, content text) in parameterised
 * multi-row INSERTs of `rowsPerTransaction` (one transaction each), over `connections` connections; drops the table after.
 */
export async function rawInsertRate(
  databaseUrl: string,
  rows: { ids: string[]; contents: string[] },
  rowsPerTransaction: number,
  connections: number
): Promise<RawInsertResult> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: connections, application_name: 'rpm-bench-raw' });
  try {
    await pool.query(`DROP TABLE IF EXISTS ${SCRATCH_TABLE}`);
    await pool.query(`CREATE TABLE ${SCRATCH_TABLE} (id text PRIMARY KEY, content text NOT NULL)`);
    const clients = await Promise.all(Array.from({ length: connections }, () => pool.connect()));
    let nextBatch = 0;
    const batches = Math.ceil(rows.ids.length / rowsPerTransaction);
    const started = performance.now();
    try {
      await Promise.all(
        clients.map(async (client) => {
          for (let batch = nextBatch++; batch < batches; batch = nextBatch++) {
            const from = batch * rowsPerTransaction;
            const to = from + rowsPerTransaction;
            await client.query(
              `INSERT INTO ${SCRATCH_TABLE} (id, content) SELECT * FROM unnest($1::text[], $2::text[])`,
              [rows.ids.slice(from, to), rows.contents.slice(from, to)]
            );
          }
        })
      );
    } finally {
      clients.forEach((client) => client.release());
    }
    const seconds = (performance.now() - started) / 1000;
    return {
      rows: rows.ids.length,
      rowsPerTransaction,
      connections,
      seconds,
      rowsPerSecond: rows.ids.length / seconds,
    };
  } finally {
    await pool.query(`DROP TABLE IF EXISTS ${SCRATCH_TABLE}`).catch(() => undefined);
    await pool.end();
  }
}
