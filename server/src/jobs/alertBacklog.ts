// How late the alert pipeline is: the age of the oldest bot run waiting in the job queue, sampled five times a second.
import type { Db } from '../db/pool.ts';
import { EXECUTE_BOT_TASK } from '../subscriptions/writeTriggers.ts';

/** How often each instance looks at the queue. */
export const ALERT_BACKLOG_SAMPLE_MS = 200;

export interface AlertBacklog {
  /**
   * Milliseconds the oldest bot run that is due has waited for a worker, at the last sample: 0 when none waits,
   * undefined when the queue could not be read (then nobody should be refused on its account).
   */
  lateMs(): number | undefined;
  /** Takes one sample now (tests; the watcher also samples on its own). */
  sample(): Promise<number | undefined>;
  /** Calls `listener` after every sample; returns the function that stops it. */
  onSample(listener: (lateMs: number | undefined) => void): () => void;
  stop(): void;
}

/**
 * Watches the shared job queue (every instance sees the same table, so every instance sees the same backlog).
 * Only jobs no worker has taken count, oldest first by the queue's own index (`priority, run_at` where available):
 * the scan stops at the first bot run (0.07 ms with 30,000 waiting), passing over only older jobs of other tasks.
 * Jobs already taken are at most a worker batch per instance, and a job waiting for its retry time is not yet due.
 */
export function watchAlertBacklog(pool: Db, schema: string, intervalMs = ALERT_BACKLOG_SAMPLE_MS): AlertBacklog {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new Error(`Not a job queue schema name: ${schema}`);
  }
  const sql = `SELECT (extract(epoch FROM now() - jobs.run_at) * 1000)::float8 AS late_ms
      FROM "${schema}"._private_jobs AS jobs
     WHERE jobs.is_available
       AND jobs.task_id = (SELECT id FROM "${schema}"._private_tasks WHERE identifier = $1)
       AND jobs.run_at <= now()
     ORDER BY jobs.priority, jobs.run_at
     LIMIT 1`;
  let last: number | undefined;
  const listeners = new Set<(lateMs: number | undefined) => void>();
  let running: Promise<number | undefined> | undefined;
  const sample = (): Promise<number | undefined> => {
    running ??= pool
      .query<{ late_ms: number }>(sql, [EXECUTE_BOT_TASK])
      .then(
        ({ rows }) => Math.max(0, rows[0]?.late_ms ?? 0),
        () => undefined // queue not there yet, or the database away: no backlog is known
      )
      .then((value) => {
        last = value;
        running = undefined;
        listeners.forEach((listener) => listener(value));
        return value;
      });
    return running;
  };
  const timer = setInterval(() => void sample(), intervalMs);
  timer.unref();
  void sample();
  return {
    lateMs: () => last,
    sample,
    onSample: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stop: () => clearInterval(timer),
  };
}
