// Releases the jobs of job-queue workers that stopped without finishing them (a killed or frozen instance).
import type { WorkerEvents } from 'graphile-worker';
import type { Db } from '../db/pool.ts';

export interface DeadWorkerWatch {
  stop(): Promise<void>;
}

export interface DeadWorkerOptions {
  /** How often this instance says it is alive and looks for dead workers. */
  heartbeatMs: number;
  /** A worker silent this long is dead: its locked jobs become available to everyone else. */
  timeoutMs: number;
}

/**
 * graphile-worker leaves a job locked for 4 hours when the process running it dies. Each instance records its
 * workers' heartbeats in `job_worker`; any worker of the same queue whose heartbeat is older than the timeout has
 * its jobs unlocked (`force_unlock_workers`) and its row removed, so a reading's alert waits seconds, not hours.
 */
export function watchDeadWorkers(
  pool: Db,
  schema: string,
  events: WorkerEvents,
  options: DeadWorkerOptions
): DeadWorkerWatch {
  const ids = new Set<string>();
  events.on('worker:create', ({ worker }) => ids.add(worker.workerId));
  events.on('worker:stop', ({ worker }) => ids.delete(worker.workerId));
  // With a local queue the pool locks the batches it fetches under its own id.
  events.on('pool:create', ({ workerPool }) => ids.add(workerPool.id));
  events.on('pool:release', ({ workerPool }) => ids.delete(workerPool.id));
  let running: Promise<void> | undefined;
  const beat = async (): Promise<void> => {
    try {
      if (ids.size > 0) {
        await pool.query(
          `INSERT INTO job_worker (worker_id, queue_schema, last_seen) SELECT unnest($1::text[]), $2, now()
           ON CONFLICT (worker_id) DO UPDATE SET last_seen = now()`,
          [[...ids], schema]
        );
      }
      const dead = await pool.query(
        `DELETE FROM job_worker WHERE queue_schema = $1 AND last_seen < now() - make_interval(secs => $2)
         RETURNING worker_id`,
        [schema, options.timeoutMs / 1000]
      );
      if (dead.rows.length > 0) {
        await pool.query(`SELECT "${schema}".force_unlock_workers($1::text[])`, [dead.rows.map((r) => r.worker_id)]);
      }
    } catch (err) {
      console.error('[jobs] heartbeat failed:', (err as Error).message);
    }
  };
  running = beat();
  const timer = setInterval(() => {
    running = beat();
  }, options.heartbeatMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
      if (ids.size > 0) {
        await pool.query('DELETE FROM job_worker WHERE worker_id = ANY($1::text[])', [[...ids]]).catch(() => undefined);
      }
    },
  };
}
