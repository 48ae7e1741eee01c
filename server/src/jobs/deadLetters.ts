// Dead letters: jobs that used all their attempts, listed for operators, and retried or discarded on their word.
import type { Queryable } from '../db/pool.ts';

/** A job that failed its last attempt and stays in the queue's table as the record of what was not done. */
export interface DeadLetter {
  id: string;
  task: string;
  attempts: number;
  maxAttempts: number;
  /** The last attempt's error message. */
  lastError: string | null;
  /** When the job was first queued, and when its last attempt failed (ISO 8601). */
  queuedAt: string;
  failedAt: string;
  /**
   * What it was about, as references only (the Subscription, Bot, Communication, the version it carried): never the
   * payload itself, which may hold a patient's resource.
   */
  about: string[];
}

export const DEAD_LETTER_LIST_MAX = 500;

/** Only these payload fields are shown, as references; anything else (a bot's input resource) stays hidden. */
function referencesIn(payload: unknown): string[] {
  if (!payload || typeof payload !== 'object') {
    return [];
  }
  const fields = payload as Record<string, unknown>;
  const about: string[] = [];
  if (typeof fields.subscription === 'string') {
    about.push(fields.subscription.includes('/') ? fields.subscription : `Subscription/${fields.subscription}`);
  }
  for (const key of ['bot', 'communication'] as const) {
    if (typeof fields[key] === 'string') {
      about.push(fields[key]);
    }
  }
  const change = fields.change;
  if (Array.isArray(change) && change.length >= 3 && change.slice(0, 3).every((part) => typeof part === 'string')) {
    about.push(`${change[0]}/${change[1]}/_history/${change[2]}`);
  }
  return about.map((reference) => reference.slice(0, 200));
}

const DEAD = 'jobs.attempts >= jobs.max_attempts AND jobs.locked_at IS NULL';

/** Dead letters, newest failure first; optionally of one task, or the one with this id. */
export async function listDeadLetters(
  db: Queryable,
  schema: string,
  options: { task?: string; limit?: number; id?: string } = {}
): Promise<DeadLetter[]> {
  if (options.id !== undefined && !/^\d{1,18}$/.test(options.id)) {
    return [];
  }
  const limit = Math.min(Math.max(options.limit ?? 100, 1), DEAD_LETTER_LIST_MAX);
  const { rows } = await db.query(
    `SELECT jobs.id::text AS id, tasks.identifier AS task, jobs.attempts, jobs.max_attempts, jobs.last_error,
            jobs.payload, jobs.created_at, jobs.updated_at
       FROM "${schema}"._private_jobs AS jobs
       JOIN "${schema}"._private_tasks AS tasks ON tasks.id = jobs.task_id
      WHERE ${DEAD} AND ($1::text IS NULL OR tasks.identifier = $1) AND ($3::bigint IS NULL OR jobs.id = $3::bigint)
      ORDER BY jobs.updated_at DESC, jobs.id DESC
      LIMIT $2`,
    [options.task ?? null, limit, options.id ?? null]
  );
  return rows.map((row) => ({
    id: row.id as string,
    task: row.task as string,
    attempts: row.attempts as number,
    maxAttempts: row.max_attempts as number,
    lastError: (row.last_error as string | null) ?? null,
    queuedAt: new Date(row.created_at as string).toISOString(),
    failedAt: new Date(row.updated_at as string).toISOString(),
    about: referencesIn(row.payload),
  }));
}

/** Queues a dead letter again with fresh attempts, to run now; false when no dead letter has this id. */
export async function retryDeadLetter(db: Queryable, schema: string, id: string): Promise<boolean> {
  if (!/^\d{1,18}$/.test(id)) {
    return false;
  }
  const { rowCount } = await db.query(
    `UPDATE "${schema}"._private_jobs AS jobs
        SET attempts = 0, run_at = now(), last_error = NULL, updated_at = now()
      WHERE jobs.id = $1::bigint AND ${DEAD}`,
    [id]
  );
  if (rowCount) {
    // Wake idle workers of every instance (what graphile-worker's add_job does for a new job).
    await db.query(`SELECT pg_notify('jobs:insert', '{"r":' || random()::text || ',"count":1}')`);
  }
  return (rowCount ?? 0) > 0;
}

/** Removes a dead letter an operator has dealt with; false when no dead letter has this id. */
export async function discardDeadLetter(db: Queryable, schema: string, id: string): Promise<boolean> {
  if (!/^\d{1,18}$/.test(id)) {
    return false;
  }
  const { rowCount } = await db.query(
    `DELETE FROM "${schema}"._private_jobs AS jobs WHERE jobs.id = $1::bigint AND ${DEAD}`,
    [id]
  );
  return (rowCount ?? 0) > 0;
}
