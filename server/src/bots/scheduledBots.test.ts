// Scheduled bots: cron patterns (UTC, minute resolution) and the once-a-minute task that queues and runs due Bots.
import { beforeAll, describe, expect, test } from 'vitest';
import type { Db } from '../db/pool.ts';
import { PostgresRepository } from '../fhir/repository/postgresRepository.ts';
import { JobQueue, type JobContext } from '../jobs/jobQueue.ts';
import { useTestServer } from '../testing/testServer.ts';
import { cronMatches, scheduledBotsTask } from './scheduledBots.ts';
import { botRuns, createTestBot, deployTestBot, runDetail, waitFor } from './testBots.ts';

const at = (iso: string) => new Date(iso);

describe('cronMatches', () => {
  test('every 15 minutes', () => {
    for (const minute of ['00', '15', '30', '45']) {
      expect(cronMatches('*/15 * * * *', at(`2025-03-04T10:${minute}:00Z`)), minute).toBe(true);
    }
    for (const minute of ['01', '07', '14', '59']) {
      expect(cronMatches('*/15 * * * *', at(`2025-03-04T10:${minute}:00Z`)), minute).toBe(false);
    }
  });

  test('daily at 08:00 UTC, whatever the seconds', () => {
    expect(cronMatches('0 8 * * *', at('2025-03-04T08:00:00Z'))).toBe(true);
    expect(cronMatches('0 8 * * *', at('2025-03-04T08:00:59.999Z'))).toBe(true);
    expect(cronMatches('0 8 * * *', at('2025-03-04T10:00:00+02:00'))).toBe(true); // 08:00 UTC
    expect(cronMatches('0 8 * * *', at('2025-03-04T08:01:00Z'))).toBe(false);
    expect(cronMatches('0 8 * * *', at('2025-03-04T09:00:00Z'))).toBe(false);
    expect(cronMatches('0 8 * * *', at('2025-03-04T08:00:00+02:00'))).toBe(false); // 06:00 UTC
  });

  test('lists, ranges, day of month, month and day of week', () => {
    expect(cronMatches('0,30 9-17 * * *', at('2025-03-04T17:30:00Z'))).toBe(true);
    expect(cronMatches('0,30 9-17 * * *', at('2025-03-04T18:00:00Z'))).toBe(false);
    expect(cronMatches('0 0 1 * *', at('2025-06-01T00:00:00Z'))).toBe(true);
    expect(cronMatches('0 0 1 * *', at('2025-06-02T00:00:00Z'))).toBe(false);
    expect(cronMatches('0 12 * 2 *', at('2025-02-10T12:00:00Z'))).toBe(true);
    expect(cronMatches('0 12 * 2 *', at('2025-03-10T12:00:00Z'))).toBe(false);
    // 2025-03-03 is a Monday (1), 2025-03-09 a Sunday (0).
    expect(cronMatches('30 6 * * 1', at('2025-03-03T06:30:00Z'))).toBe(true);
    expect(cronMatches('30 6 * * 1', at('2025-03-04T06:30:00Z'))).toBe(false);
    expect(cronMatches('* * * * 0', at('2025-03-09T23:59:00Z'))).toBe(true);
    expect(cronMatches('* * * * *', at('2025-03-09T23:59:00Z'))).toBe(true);
  });

  test('an invalid pattern matches nothing', () => {
    for (const pattern of ['', 'whenever', '* * * *', '* * * * * *', '61 * * * *', '0 24 * * *', '*/0 * * * *']) {
      expect(cronMatches(pattern, at('2025-03-04T00:00:00Z')), pattern).toBe(false);
    }
  });
});

describe('scheduledBotsTask', () => {
  const ctx = useTestServer();
  let systemRepo: PostgresRepository;
  const job: JobContext = { attempts: 1, maxAttempts: 1, jobId: 'test' };
  // 29 February, 08:07 and 08:09 UTC: no test server's once-a-minute job finds these bots due while the tests run,
  // and each test's bots are due only in its own minute.
  const DUE = '7 8 29 2 *';
  const TICK = { _cron: { ts: '2028-02-29T08:07:00.000Z' } };

  beforeAll(() => {
    systemRepo = new PostgresRepository(ctx.server.pool, { fhirBaseUrl: ctx.server.fhirBaseUrl });
  });

  test('queues one execute-bot job per due Bot and minute, and none for other Bots', async () => {
    const due = await createTestBot(ctx.medplum, '', { cronString: DUE });
    const otherMinute = await createTestBot(ctx.medplum, '', { cronString: '8 8 29 2 *' });
    const invalid = await createTestBot(ctx.medplum, '', { cronString: 'at eight' });
    const unscheduled = await createTestBot(ctx.medplum, '');
    const mine = [due, otherMinute, invalid, unscheduled].map((b) => `Bot/${b.id}`);

    // The server's queue, written through a transaction that is rolled back: the jobs can be looked at before the
    // server's runner could take them (it never sees them). A new queue schema is no option: graphile-worker's first
    // migration of a schema makes every runner listening on the database shut down.
    const schema = ctx.server.config.jobs.schema;
    const db = await ctx.server.pool.connect();
    try {
      await db.query('BEGIN');
      const queue = new JobQueue({ pool: db as unknown as Db, schema, concurrency: 1 });
      const task = scheduledBotsTask(systemRepo, queue, 3);
      const queued = async () =>
        (
          await db.query(
            `SELECT t.identifier, j.payload, j.key, j.max_attempts
               FROM "${schema}"._private_jobs j JOIN "${schema}"._private_tasks t ON t.id = j.task_id
              ORDER BY j.key`
          )
        ).rows.filter((r) => mine.includes(r.payload.bot));

      await task(TICK, job);
      await task(TICK, job); // The same minute again (another instance, a retry) adds nothing.
      expect(await queued()).toEqual([
        {
          identifier: 'execute-bot',
          payload: { bot: `Bot/${due.id}` },
          key: `cron:${due.id}:2028-02-29T08:07`,
          max_attempts: 3,
        },
      ]);
      // The next matching minute is a new job.
      await task({ _cron: { ts: '2032-02-29T08:07:00.000Z' } }, job);
      expect((await queued()).map((r) => r.key)).toEqual([
        `cron:${due.id}:2028-02-29T08:07`,
        `cron:${due.id}:2032-02-29T08:07`,
      ]);
    } finally {
      await db.query('ROLLBACK');
      db.release();
    }
  });

  test('a due Bot runs with a Parameters input and is audited as a scheduled run; an unscheduled Bot does not run', async () => {
    const code = `export function handler(medplum, event) {
      console.log(event.input.resourceType, event.input.parameter[0].name, typeof event.input.parameter[0].valueDateTime);
      return 'scanned';
    }`;
    const due = await createTestBot(ctx.medplum, '', { cronString: '9 8 29 2 *' });
    await deployTestBot(ctx.medplum, due.id, code);
    const unscheduled = await createTestBot(ctx.medplum, '');
    await deployTestBot(ctx.medplum, unscheduled.id, code);

    const serverQueue = new JobQueue({ pool: ctx.server.pool, schema: ctx.server.config.jobs.schema, concurrency: 1 });
    await scheduledBotsTask(systemRepo, serverQueue, 2)({ _cron: { ts: '2028-02-29T08:09:00.000Z' } }, job);

    const runs = await waitFor(
      () => botRuns(ctx.medplum, due.id),
      (events) => events.length > 0
    );
    expect(runs).toHaveLength(1);
    expect(runs[0].outcome).toBe('0');
    expect(runDetail(runs[0], 'trigger')).toBe('schedule');
    expect(runDetail(runs[0], 'attempt')).toBe('1 of 2');
    expect(runDetail(runs[0], 'log')).toBe('Parameters scheduled string');
    // No patient: a scheduled run is about no one in particular.
    expect(runs[0].entity?.some((e) => e.role?.code === '1')).toBe(false);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await botRuns(ctx.medplum, unscheduled.id)).toHaveLength(0);
  });
});
