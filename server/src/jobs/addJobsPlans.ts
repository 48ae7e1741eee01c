// Lets graphile-worker's add_jobs keep its query plans: every write that triggers work calls it once.
import { withDbTransaction, type Db } from '../db/pool.ts';

/** Serialises the check-and-alter between instances starting at once (concurrent ALTERs of one function fail). */
const LOCK_KEY = 81030002;

/** What add_jobs runs with: kept generic plans, and no sequential scans (see keepAddJobsPlans). */
export const ADD_JOBS_SETTINGS = ['plan_cache_mode=force_generic_plan', 'enable_seqscan=off'];

/**
 * add_jobs is PL/pgSQL, and PL/pgSQL plans its statements through the plan cache. They read the job specs from an
 * array argument, so a custom plan knows the array's length and a generic one guesses, and the cache judges the
 * generic plan worse and plans again on every call: 0.78 ms per one-job transaction, 0.60 ms with the generic plan it
 * keeps (pgbench; in the alerting bench add_jobs was 15 % of PostgreSQL's CPU samples, half of them planning).
 * The statements insert the specs and look up tasks, queues and keyed jobs by unique keys: the same plan suits every
 * call, provided it uses those keys. A generic plan made while the job table was nearly empty (a connection's first
 * call, at start-up) cleared the keys of running jobs by a hash join over a sequential scan of every job, dead rows
 * included: under the alerting bench's load that scan was 8 % of all CPU (perf), and it grows with the queue. With
 * sequential scans off, that statement looks each key up in the key index (nested loop).
 * Re-applied after every migration, which may recreate the function.
 */
export async function keepAddJobsPlans(pool: Db, schema: string): Promise<void> {
  const fn = `"${schema}".add_jobs("${schema}".job_spec[], boolean)`;
  await withDbTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
    const { rows } = await client.query(`SELECT proconfig FROM pg_proc WHERE oid = $1::regprocedure`, [fn]);
    const config = (rows[0]?.proconfig as string[] | null) ?? [];
    for (const setting of ADD_JOBS_SETTINGS.filter((s) => !config.includes(s))) {
      const [name, value] = setting.split('=');
      await client.query(`ALTER FUNCTION ${fn} SET ${name} = ${value}`);
    }
  });
}
