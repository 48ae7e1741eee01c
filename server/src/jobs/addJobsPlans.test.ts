// add_jobs keeps its plans and never scans the job table: set once per schema, by instances starting together too.
import { describe, expect, test } from 'vitest';
import { useTestServer } from '../testing/testServer.ts';
import { ADD_JOBS_SETTINGS, keepAddJobsPlans } from './addJobsPlans.ts';
import { JobQueue } from './jobQueue.ts';

// No instance runs the jobs, so an added job stays where the test can see it.
const ctx = useTestServer({ RPM_RUN_JOBS: 'false' });

async function addJobsConfig(schema: string): Promise<string[] | null> {
  const { rows } = await ctx.server.pool.query(`SELECT proconfig FROM pg_proc WHERE oid = $1::regprocedure`, [
    `"${schema}".add_jobs("${schema}".job_spec[], boolean)`,
  ]);
  return rows[0].proconfig as string[] | null;
}

describe('add_jobs plans', () => {
  test('the server’s queue schema has add_jobs on generic plans, without sequential scans, after start-up', async () => {
    expect(ADD_JOBS_SETTINGS).toEqual(['plan_cache_mode=force_generic_plan', 'enable_seqscan=off']);
    expect(await addJobsConfig(ctx.server.config.jobs.schema)).toEqual(ADD_JOBS_SETTINGS);
  });

  test('instances starting at once (and again) leave one setting and no error', async () => {
    const schema = ctx.server.config.jobs.schema;
    await ctx.server.pool.query(`ALTER FUNCTION "${schema}".add_jobs("${schema}".job_spec[], boolean) RESET ALL`);
    expect(await addJobsConfig(schema)).toBeNull();
    await Promise.all(Array.from({ length: 4 }, () => keepAddJobsPlans(ctx.server.pool, schema)));
    await keepAddJobsPlans(ctx.server.pool, schema);
    expect(await addJobsConfig(schema)).toEqual(ADD_JOBS_SETTINGS);
  });

  test('with hundreds of jobs waiting, adding a keyed job on a connection that planned on an empty table reads no job by scanning', async () => {
    const schema = ctx.server.config.jobs.schema;
    const queue = new JobQueue({ pool: ctx.server.pool, schema, concurrency: 1 });
    const client = await ctx.server.pool.connect();
    try {
      // Plans made now, while no job of this test waits (the statistics say the table is small) …
      await client.query('ANALYZE "' + schema + '"._private_jobs');
      for (let i = 0; i < 6; i++) {
        await queue.enqueue(client, [{ task: 'add-jobs-scan-test', payload: {}, key: `add-jobs-scan-test-warm-${i}` }]);
      }
      // … are still used once 600 jobs wait.
      await queue.enqueue(
        client,
        Array.from({ length: 600 }, (_, i) => ({
          task: 'add-jobs-scan-test',
          payload: {},
          key: `add-jobs-scan-test-${i}`,
        }))
      );
      await client.query('BEGIN');
      await queue.enqueue(client, [{ task: 'add-jobs-scan-test', payload: {}, key: 'add-jobs-scan-test-7' }]);
      const { rows } = await client.query(
        `SELECT seq_scan, idx_scan FROM pg_stat_xact_user_tables WHERE schemaname = $1 AND relname = '_private_jobs'`,
        [schema]
      );
      await client.query('COMMIT');
      expect(rows[0].seq_scan).toBe('0');
      expect(Number(rows[0].idx_scan)).toBeGreaterThan(0);
    } finally {
      client.release();
    }
  });

  test('jobs are added as before, many times on one connection (past the plan cache’s first five)', async () => {
    const schema = ctx.server.config.jobs.schema;
    const queue = new JobQueue({ pool: ctx.server.pool, schema, concurrency: 1 });
    const client = await ctx.server.pool.connect();
    try {
      for (let i = 0; i < 8; i++) {
        await queue.enqueue(client, [
          { task: 'add-jobs-plan-test', payload: { i }, key: i % 2 ? `add-jobs-plan-test-${i}` : undefined },
        ]);
      }
    } finally {
      client.release();
    }
    const { rows } = await ctx.server.pool.query(
      `SELECT j.payload, j.key FROM "${schema}"._private_jobs j JOIN "${schema}"._private_tasks t ON t.id = j.task_id
        WHERE t.identifier = 'add-jobs-plan-test' ORDER BY j.id`
    );
    expect(rows.map((r) => [r.payload.i, r.key])).toEqual(
      Array.from({ length: 8 }, (_, i) => [i, i % 2 ? `add-jobs-plan-test-${i}` : null])
    );
  });
});
