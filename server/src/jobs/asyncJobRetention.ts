// Removes AsyncJobs that ended long ago (each queued bot run leaves one): an hourly job, RPM_ASYNC_JOB_RETENTION_DAYS.
import type { BackgroundDeps, BackgroundModule } from '../background.ts';
import { type Db, withDbTransaction } from '../db/pool.ts';
import { StatementBatch } from '../db/statementBatch.ts';
import { UNFINISHED_STATUSES } from '../fhir/operations/asyncJobStatus.ts';
import { addSearchIndexDeletes } from '../fhir/search/writeRows.ts';

export const ASYNC_JOB_RETENTION_TASK = 'remove-ended-async-jobs';

/** AsyncJobs removed per transaction. */
export const ASYNC_JOBS_PER_BATCH = 1000;

/** Batches one run removes at most; the rest waits for the next hour, so a first run after a long gap stays short. */
const BATCHES_PER_RUN = 50;

const DAY_MS = 86_400_000;

/**
 * One transaction: the oldest AsyncJobs (at most `perBatch`) that ended (any status but UNFINISHED_STATUSES; a job
 * without a status is kept), or were deleted, before
 * `endedBefore` (the time of their last version) lose their current row, every version in the history and their
 * search index rows. Rows another instance is removing are skipped. Returns how many were removed.
 */
async function removeBatch(pool: Db, endedBefore: Date, perBatch: number): Promise<number> {
  return withDbTransaction(pool, async (client) => {
    const { rows } = await client.query<{ id: string }>(
      `SELECT id FROM resource
        WHERE resource_type = 'AsyncJob' AND last_updated < $1
          AND (deleted OR NOT ((content::jsonb ->> 'status') = ANY($2::text[])))
        ORDER BY last_updated
        LIMIT $3
        FOR UPDATE SKIP LOCKED`,
      [endedBefore, UNFINISHED_STATUSES, perBatch]
    );
    const ids = rows.map((row) => row.id);
    if (ids.length === 0) {
      return 0;
    }
    const batch = new StatementBatch();
    batch.add(
      (first) => `DELETE FROM resource_history WHERE resource_type = 'AsyncJob' AND id = ANY($${first}::text[])`,
      [ids]
    );
    addSearchIndexDeletes(batch, 'AsyncJob', ids);
    batch.add(
      (first) => `DELETE FROM resource WHERE resource_type = 'AsyncJob' AND id = ANY($${first}::text[])`,
      [ids]
    );
    await batch.run(client);
    return ids.length;
  });
}

/**
 * Removes every AsyncJob that ended before `endedBefore`, in transactions of `perBatch`, up to `maxBatches` of them
 * (`more` tells whether some may remain). Unlike a FHIR delete this keeps no version: an ended AsyncJob is the job
 * queue's receipt, and the run it stood for stays in its AuditEvent (whose trigger still names `AsyncJob/<id>`).
 */
export async function removeEndedAsyncJobs(
  pool: Db,
  endedBefore: Date,
  { perBatch = ASYNC_JOBS_PER_BATCH, maxBatches = BATCHES_PER_RUN } = {}
): Promise<{ removed: number; more: boolean }> {
  let removed = 0;
  for (let batch = 0; batch < maxBatches; batch++) {
    const count = await removeBatch(pool, endedBefore, perBatch);
    removed += count;
    if (count < perBatch) {
      return { removed, more: false };
    }
  }
  return { removed, more: true };
}

/**
 * Every hour (at minute 17, one job across instances), AsyncJobs that ended more than RPM_ASYNC_JOB_RETENTION_DAYS
 * ago are removed; 0 keeps them all (no job).
 */
export function asyncJobRetentionModule(deps: BackgroundDeps): BackgroundModule {
  const days = deps.config.jobs.asyncJobRetentionDays;
  if (days === 0) {
    return {};
  }
  return {
    recurring: [{ task: ASYNC_JOB_RETENTION_TASK, pattern: '17 * * * *', identifier: ASYNC_JOB_RETENTION_TASK }],
    tasks: {
      [ASYNC_JOB_RETENTION_TASK]: async () => {
        const { removed, more } = await removeEndedAsyncJobs(deps.pool, new Date(Date.now() - days * DAY_MS));
        if (removed > 0) {
          console.log(
            `[jobs] removed ${removed} AsyncJob(s) that ended over ${days} day(s) ago${more ? '; more next hour' : ''}`
          );
        }
      },
    },
  };
}
