// The alert backlog on a real job queue: the oldest due bot run that no worker has taken, and nothing else.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { QUEUED_BOT_TASK } from '../bots/botOperations.ts';
import { useTestServer } from '../testing/testServer.ts';
import { watchAlertBacklog, type AlertBacklog } from './alertBacklog.ts';

// No instance runs the jobs, so what is queued stays where the test put it.
const ctx = useTestServer({ RPM_RUN_JOBS: 'false', RPM_ALERT_BACKLOG_LIMIT_MS: '0' });
let backlog: AlertBacklog;

beforeAll(() => {
  backlog = watchAlertBacklog(ctx.server.pool, ctx.server.config.jobs.schema, 60_000);
});
afterAll(() => backlog?.stop());

/** Queues a job of `task` due `secondsAgo` seconds ago (negative: in the future); returns its id. */
async function queueJob(task: string, secondsAgo: number): Promise<string> {
  const schema = ctx.server.config.jobs.schema;
  const { rows } = await ctx.server.pool.query<{ id: string }>(
    `SELECT id FROM "${schema}".add_job($1, '{}'::json, run_at => now() - make_interval(secs => $2))`,
    [task, secondsAgo]
  );
  return rows[0].id;
}

async function changeJob(id: string, set: string): Promise<void> {
  await ctx.server.pool.query(`UPDATE "${ctx.server.config.jobs.schema}"._private_jobs SET ${set} WHERE id = $1`, [id]);
}

async function removeJobs(): Promise<void> {
  await ctx.server.pool.query(`DELETE FROM "${ctx.server.config.jobs.schema}"._private_jobs`);
}

describe('watchAlertBacklog', () => {
  test('an empty queue is not late', async () => {
    expect(await backlog.sample()).toBe(0);
    expect(backlog.lateMs()).toBe(0);
  });

  test('the oldest due bot run counts: how long it has waited', async () => {
    await queueJob('execute-bot', 4);
    await queueJob('execute-bot', 12);
    const late = (await backlog.sample()) as number;
    expect(late).toBeGreaterThanOrEqual(12_000);
    expect(late).toBeLessThan(20_000);
    expect(backlog.lateMs()).toBe(late);
    await removeJobs();
  });

  test('a bot run a worker has taken, a retry not yet due, a dead letter, a queued run and other tasks do not count', async () => {
    const taken = await queueJob('execute-bot', 30);
    await changeJob(taken, `locked_at = now(), locked_by = 'a worker'`);
    await queueJob('execute-bot', -60); // a retry, due in a minute
    const dead = await queueJob('execute-bot', 40);
    await changeJob(dead, 'attempts = max_attempts');
    await queueJob('deliver-rest-hook', 50);
    // A run queued by $execute with respond-async waiting its turn (a missed-readings scan's slices) is not an alert.
    await queueJob(QUEUED_BOT_TASK, 45);
    expect(await backlog.sample()).toBe(0);
    // A waiting run behind them is found.
    await queueJob('execute-bot', 6);
    expect(await backlog.sample()).toBeGreaterThanOrEqual(6_000);
    await removeJobs();
  });

  test('a queue that cannot be read gives no backlog (undefined), not a refusal', async () => {
    const missing = watchAlertBacklog(ctx.server.pool, 'no_such_queue', 60_000);
    try {
      expect(await missing.sample()).toBeUndefined();
      expect(missing.lateMs()).toBeUndefined();
    } finally {
      missing.stop();
    }
  });

  test('a schema name that is not one is refused before any SQL is built', () => {
    expect(() => watchAlertBacklog(ctx.server.pool, 'x"; DROP TABLE jobs; --')).toThrow(/schema name/);
  });
});
