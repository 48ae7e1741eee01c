// The PostgreSQL job queue (graphile-worker): jobs added inside a write's own transaction, run by every instance.
import { EventEmitter } from 'node:events';
import { Logger, parseCronItems, run, runMigrations, type Runner, type Task, type WorkerEvents } from 'graphile-worker';
import type { Db, Queryable } from '../db/pool.ts';
import { StatementBatch } from '../db/statementBatch.ts';
import { keepAddJobsPlans } from './addJobsPlans.ts';
import { watchDeadWorkers, type DeadWorkerWatch } from './deadWorkers.ts';

/** A job to add: the task's name, its JSON payload, and optionally when to run it and a de-duplicating key. */
export interface JobSpec {
  task: string;
  payload: unknown;
  runAt?: Date;
  maxAttempts?: number;
  /** Jobs with the same key replace each other while waiting (graphile-worker job_key). */
  key?: string;
  priority?: number;
  /** Jobs with the same queue name run one at a time, in the order added (graphile-worker named queues). */
  queueName?: string;
}

export interface JobContext {
  /** 1 on the first run; graphile-worker counts every attempt. */
  attempts: number;
  maxAttempts: number;
  jobId: string;
}

export type JobHandler = (payload: unknown, context: JobContext) => Promise<void>;

/** A recurring job: a cron pattern (UTC, minute resolution) and the task it adds. */
export interface RecurringJob {
  task: string;
  pattern: string;
  identifier: string;
}

export interface JobQueueOptions {
  pool: Db;
  /** The PostgreSQL schema of the queue's tables and functions (one per deployment; tests use their own). */
  schema: string;
  /** How many jobs one instance runs at a time. */
  concurrency: number;
  /** A worker without a heartbeat for this long is presumed dead and its jobs are released (default 30 s). */
  deadWorkerTimeoutMs?: number;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * graphile-worker warns when the pool has fewer connections than jobs may run at once, assuming each job holds one.
 * Ours do not: a bot run waits on HTTP, a delivery on its receiver, and jobs are fetched and completed in batches.
 */
const POOL_SIZE_WARNING = /^WARNING: having maxPoolSize \(\d+\) smaller than concurrency/;

const quiet = new Logger(() => (level: string, message: string) => {
  if ((level === 'error' || level === 'warning') && !POOL_SIZE_WARNING.test(message)) {
    // One line per failure (the job's error message); stack traces of expected failures (a receiver down) are noise.
    console.error(`[jobs] ${message.split('\n')[0]}`);
  }
});

/** How long after a named queue's job ends this instance looks for the queue's next job (its completion is written). */
const NAMED_QUEUE_NUDGE_MS = 50;

/**
 * A named queue's next job can be taken only once the job before it is recorded complete, and nothing announces
 * that: the local queue would find it at its next poll, up to `pollInterval` (1 s) later, between every two runs a
 * bot queued (a missed-readings scan of 10,000 patients queues 20). So when such a job ends, this instance looks
 * again shortly after (the next poll still finds the job if that look was too early).
 */
function nudgeAfterNamedQueueJobs(events: WorkerEvents): void {
  let workers: { nudge(count: number): void } | undefined;
  events.on('pool:create', ({ workerPool }) => {
    workers = workerPool;
  });
  events.on('job:complete', ({ job }) => {
    if (job.job_queue_id !== null) {
      setTimeout(() => workers?.nudge(1), NAMED_QUEUE_NUDGE_MS).unref();
    }
  });
}

/** The pool, except that its clients skip graphile-worker's `pg_notify('worker:migrate', …)`. */
function withoutMigrationAnnouncements(pool: Db): Db {
  const isAnnouncement = (text: unknown, values: unknown): boolean =>
    typeof text === 'string' && text.includes('pg_notify') && Array.isArray(values) && values[0] === 'worker:migrate';
  return new Proxy(pool, {
    get(target, property, receiver) {
      if (property !== 'connect') {
        const value = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return async () => {
        const client = await target.connect();
        return new Proxy(client, {
          get(clientTarget, clientProperty, clientReceiver) {
            const value = Reflect.get(clientTarget, clientProperty, clientReceiver);
            if (clientProperty !== 'query') {
              return typeof value === 'function' ? value.bind(clientTarget) : value;
            }
            return (text: unknown, values?: unknown, ...rest: unknown[]) =>
              isAnnouncement(text, values)
                ? Promise.resolve({ rows: [], rowCount: 0 })
                : (value as (...args: unknown[]) => unknown).call(clientTarget, text, values, ...rest);
          },
        });
      };
    },
  });
}

export class JobQueue {
  readonly schema: string;
  private readonly options: JobQueueOptions;
  private runner: Runner | undefined;
  private deadWorkers: DeadWorkerWatch | undefined;

  constructor(options: JobQueueOptions) {
    if (!SCHEMA_NAME.test(options.schema)) {
      throw new Error(`Invalid job queue schema name: ${options.schema}`);
    }
    this.schema = options.schema;
    this.options = options;
  }

  /**
   * Creates or upgrades the queue's tables (graphile-worker's own migrations). graphile-worker announces each
   * breaking migration with a database-wide NOTIFY that makes every running worker of every schema shut down (and
   * set process.exitCode 57). That is right for an upgrade of a schema in use, and wrong when the schema is brand new:
   * nothing can be running on it, yet other deployments (or test servers) sharing the database would stop. So the
   * announcement is left out when the schema did not exist before.
   */
  async migrate(): Promise<void> {
    const { rows } = await this.options.pool.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [this.schema]);
    const pgPool = rows.length > 0 ? this.options.pool : withoutMigrationAnnouncements(this.options.pool);
    await runMigrations({ pgPool, schema: this.schema, logger: quiet });
    await keepAddJobsPlans(this.options.pool, this.schema);
  }

  /**
   * Adds jobs through `db`: inside a transaction they exist only if it commits. One statement for any number of jobs.
   */
  async enqueue(db: Queryable, jobs: readonly JobSpec[]): Promise<void> {
    const batch = new StatementBatch();
    this.addTo(batch, jobs);
    await batch.run(db);
  }

  /** Adds the jobs to a batch of statements of the writing transaction (they are added when it runs). */
  addTo(batch: StatementBatch, jobs: readonly JobSpec[]): void {
    if (jobs.length === 0) {
      return;
    }
    const specs = jobs.map((j) => ({
      identifier: j.task,
      payload: j.payload ?? {},
      queue_name: j.queueName ?? null,
      run_at: j.runAt?.toISOString() ?? null,
      max_attempts: j.maxAttempts ?? null,
      job_key: j.key ?? null,
      priority: j.priority ?? null,
    }));
    batch.addSelect(
      (n) => `SELECT 1 FROM "${this.schema}".add_jobs(
         ARRAY(SELECT s FROM json_populate_recordset(NULL::"${this.schema}".job_spec, $${n}::json) s))`,
      [JSON.stringify(specs)]
    );
  }

  /** Adds jobs on their own (committed at once). */
  async add(jobs: readonly JobSpec[]): Promise<void> {
    await this.enqueue(this.options.pool, jobs);
  }

  /** Starts running jobs of these tasks on this instance, plus the recurring ones. */
  async start(handlers: Record<string, JobHandler>, recurring: RecurringJob[] = []): Promise<void> {
    const taskList: Record<string, Task> = {};
    for (const [name, handler] of Object.entries(handlers)) {
      taskList[name] = async (payload, helpers) =>
        handler(payload, {
          attempts: helpers.job.attempts,
          maxAttempts: helpers.job.max_attempts,
          jobId: String(helpers.job.id),
        });
    }
    const events = new EventEmitter() as WorkerEvents;
    nudgeAfterNamedQueueJobs(events);
    const timeoutMs = this.options.deadWorkerTimeoutMs ?? 30_000;
    this.deadWorkers = watchDeadWorkers(this.options.pool, this.schema, events, {
      timeoutMs,
      heartbeatMs: Math.max(250, Math.min(5_000, timeoutMs / 3)),
    });
    this.runner = await run({
      events,
      pgPool: this.options.pool,
      schema: this.schema,
      concurrency: this.options.concurrency,
      noHandleSignals: true,
      pollInterval: 1000,
      logger: quiet,
      preset: {
        worker: {
          // Jobs are fetched (and locked) in batches rather than one query per job, and completions are written in
          // batches: at hundreds of readings a second that removes two round trips per job. A batch a crashed
          // instance had locked is released by the dead-worker watch (deadWorkers.ts); jobs it had completed but not
          // yet recorded run again, which every handler tolerates (they are idempotent).
          localQueue: { size: this.options.concurrency + 1 },
          completeJobBatchDelay: 0,
          failJobBatchDelay: 0,
        },
      },
      taskList,
      parsedCronItems: parseCronItems(
        recurring.map((r) => ({
          task: r.task,
          match: r.pattern,
          identifier: r.identifier,
          options: { backfillPeriod: 0 },
        }))
      ),
    });
  }

  /** Lets running jobs finish, then stops (jobs not started stay queued for another instance). */
  async stop(): Promise<void> {
    await this.deadWorkers?.stop();
    await this.runner?.stop();
    this.runner = undefined;
  }
}
