// Queues "this resource changed" in the writing transaction, so every committed write is matched against Subscriptions.
import type { Db, Queryable } from '../db/pool.ts';
import { jobQueueOf } from '../jobs/jobQueue.ts';

/** The job that matches committed changes against Subscriptions (dispatchChanges.ts). */
export const RESOURCE_CHANGED_TASK = 'resource-changed';

export type ChangeInteraction = 'create' | 'update' | 'delete';

/** One committed version: [resourceType, id, versionId, interaction]. Compact, since bundles carry hundreds. */
export type ResourceChange = [string, string, string, ChangeInteraction];

export interface ResourceChangedPayload {
  changes: ResourceChange[];
}

/** Types whose writes never notify: the audit trail (written on every request) is not subscribable. */
const UNSUBSCRIBABLE: ReadonlySet<string> = new Set(['AuditEvent']);

/**
 * Adds one job for these versions through `db`, the transaction that writes them: the job exists exactly when the
 * versions are committed. Does nothing for a pool without a job queue (unit tests of storage alone).
 */
export async function queueResourceChanges(pool: Db, db: Queryable, changes: ResourceChange[]): Promise<void> {
  const queue = jobQueueOf(pool);
  const wanted = changes.filter((c) => !UNSUBSCRIBABLE.has(c[0]));
  if (!queue || wanted.length === 0) {
    return;
  }
  await queue.enqueue(db, [
    { task: RESOURCE_CHANGED_TASK, payload: { changes: wanted } satisfies ResourceChangedPayload },
  ]);
}
