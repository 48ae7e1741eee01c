// add_jobs keeps its plans: set once per schema, by instances starting together too, and jobs are still added.
import { describe, expect, test } from 'vitest';
import { useTestServer } from '../testing/testServer.ts';
import { keepAddJobsPlans } from './addJobsPlans.ts';
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
  test('the server’s queue schema has add_jobs on generic plans after start-up', async () => {
    expect(await addJobsConfig(ctx.server.config.jobs.schema)).toEqual(['plan_cache_mode=force_generic_plan']);
  });

  test('instances starting at once (and again) leave one setting and no error', async () => {
    const schema = ctx.server.config.jobs.schema;
    await ctx.server.pool.query(`ALTER FUNCTION "${schema}".add_jobs("${schema}".job_spec[], boolean) RESET ALL`);
    expect(await addJobsConfig(schema)).toBeNull();
    await Promise.all(Array.from({ length: 4 }, () => keepAddJobsPlans(ctx.server.pool, schema)));
    await keepAddJobsPlans(ctx.server.pool, schema);
    expect(await addJobsConfig(schema)).toEqual(['plan_cache_mode=force_generic_plan']);
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
