// What a committed write triggers, decided inside its own transaction: Subscription deliveries and bot runs queued
// as jobs in that transaction, and websocket notifications sent once it has committed.
import type { WithId } from '@medplum/core';
import type { Resource, Subscription } from '@medplum/fhirtypes';
import type { Caller } from '../auth/authenticate.ts';
import type { Db, Queryable } from '../db/pool.ts';
import type { StatementBatch } from '../db/statementBatch.ts';
import type { JobQueue, JobSpec } from '../jobs/jobQueue.ts';
import { ActiveSubscriptions, SUBSCRIPTION_GENERATION_SQL, type ActiveSubscription } from './activeSubscriptions.ts';
import type { ChangeConsumer, CommittedChange } from './committedChange.ts';
import { loadPreviousVersion } from './loadVersions.ts';
import { REST_HOOK_TASK, type RestHookPayload } from './restHook.ts';
import { matchesFhirPathCriteria, matchesSearchCriteria } from './subscriptionCriteria.ts';
import { maxAttemptsOf } from './subscriptionExtensions.ts';

export type ChangeInteraction = 'create' | 'update' | 'delete';

/** The job that runs a bot (server/src/bots). */
export const EXECUTE_BOT_TASK = 'execute-bot';

export interface ExecuteBotPayload {
  bot: string;
  subscription?: string;
  /** [resourceType, id, versionId, interaction] of the triggering version; absent for a scheduled run. */
  change?: [string, string, string, string];
  /**
   * The triggering version itself when it is small (most readings), so the run need not read it back; for a run
   * queued by `$execute` with `Prefer: respond-async`, the request's body.
   */
  input?: Resource;
  /** The AsyncJob of a queued `$execute` (botOperations.ts), completed with the run's result. */
  asyncJob?: string;
}

/** Versions up to this size (JSON characters) travel in the bot job's payload; larger ones are read back by id. */
const MAX_INLINE_INPUT = 16_384;

/** Delivers a change to websocket-bound clients (server/src/subscriptions/websocket). */
export interface WebSocketNotifier {
  notify(subscription: WithId<Subscription>, change: CommittedChange): Promise<void>;
}

/** Types whose writes never notify: the audit trail (written on every request) is not subscribable. */
const UNSUBSCRIBABLE: ReadonlySet<string> = new Set(['AuditEvent']);

export interface WriteTriggerOptions {
  queue: JobQueue;
  /** Default delivery attempts (a Subscription may set its own). */
  maxAttempts: number;
}

/**
 * Attached to the pool (attachWriteTriggers), so every repository on it calls `onWrite` with the versions it
 * writes, inside the writing transaction. The active Subscriptions are cached and re-read whenever any
 * Subscription changed: the repository sends `readAtBegin` with its BEGIN (no extra round trip) and hands the row to
 * `onWrite`, so a Subscription applies to every transaction that begins after it committed.
 */
export class WriteTriggers {
  /** Read by the writing transaction together with its BEGIN; its row is `onWrite`'s `begun`. */
  readonly readAtBegin = SUBSCRIPTION_GENERATION_SQL;
  private readonly options: WriteTriggerOptions;
  private readonly subscriptions = new ActiveSubscriptions();
  private consumers: ChangeConsumer[] = [];
  private webSockets: WebSocketNotifier | undefined;

  constructor(options: WriteTriggerOptions) {
    this.options = options;
  }

  /**
   * For a write sent as one statement without BEGIN: the generation of the cached Subscriptions (undefined before the
   * first load). Pass it to `onWrite` as `begun`, and add `addGenerationGuard` to the statement.
   */
  cachedGeneration(): string | undefined {
    return this.subscriptions.loadedGeneration;
  }

  /** Guard of a one-statement write: the Subscriptions are still those of `generation` in the write's own snapshot. */
  addGenerationGuard(batch: StatementBatch, generation: string): void {
    batch.addGuard((n) => `(${SUBSCRIPTION_GENERATION_SQL}) = $${n}::text`, [generation]);
  }

  /** Server modules reacting to writes without a Subscription (e.g. sending a Communication). */
  setConsumers(consumers: ChangeConsumer[]): void {
    this.consumers = consumers;
  }

  setWebSockets(webSockets: WebSocketNotifier | undefined): void {
    this.webSockets = webSockets;
  }

  /**
   * Queues the jobs these versions trigger in the writing transaction: added to `batch` (the statement that writes
   * the versions) when given, else at once through `db`. Returns what to do once the transaction has committed
   * (websocket notifications: a socket is live or not, there is nothing to retry).
   */
  async onWrite(
    db: Queryable,
    written: { resource: Resource; interaction: ChangeInteraction }[],
    writtenBy: Caller | undefined,
    begun?: { generation?: string },
    batch?: StatementBatch
  ): Promise<(() => void) | undefined> {
    const { jobs, afterCommit } = await this.planWrite(db, written, writtenBy, begun);
    if (batch) {
      this.addJobs(batch, jobs);
    } else {
      await this.options.queue.enqueue(db, jobs);
    }
    return afterCommit;
  }

  /**
   * The jobs these versions trigger, and what to do once they are committed, without queuing anything: for a caller
   * that writes several callers' versions in one statement (groupedCreates.ts) and adds all their jobs at once.
   */
  async planWrite(
    db: Queryable,
    written: { resource: Resource; interaction: ChangeInteraction }[],
    writtenBy: Caller | undefined,
    begun?: { generation?: string }
  ): Promise<{ jobs: JobSpec[]; afterCommit?: () => void }> {
    const jobs: JobSpec[] = [];
    const notifications: [WithId<Subscription>, CommittedChange][] = [];
    for (const { resource, interaction } of written) {
      if (UNSUBSCRIBABLE.has(resource.resourceType)) {
        continue;
      }
      const change: CommittedChange = {
        resourceType: resource.resourceType,
        id: resource.id as string,
        versionId: resource.meta?.versionId as string,
        interaction,
        resource,
        writtenBy,
      };
      for (const consumer of this.consumers) {
        jobs.push(...consumer(change));
      }
      for (const active of await this.subscriptions.forType(db, resource.resourceType, begun?.generation)) {
        if (!(await wants(db, active, change))) {
          continue;
        }
        if (active.subscription.channel.type === 'websocket') {
          notifications.push([active.subscription, change]);
        } else {
          jobs.push(deliveryJob(active, change, this.options.maxAttempts));
        }
      }
    }
    const webSockets = this.webSockets;
    if (notifications.length === 0 || !webSockets) {
      return { jobs };
    }
    return {
      jobs,
      afterCommit: () => {
        for (const [subscription, change] of notifications) {
          webSockets
            .notify(subscription, change)
            .catch((err) => console.error(`[subscriptions] websocket notify failed: ${(err as Error).message}`));
        }
      },
    };
  }

  /** Adds jobs to the statement that writes the versions which triggered them. */
  addJobs(batch: StatementBatch, jobs: readonly JobSpec[]): void {
    this.options.queue.addTo(batch, jobs);
  }
}

/** Does this Subscription want this change? Interaction, end date, search criteria, then FHIRPath. */
async function wants(db: Queryable, active: ActiveSubscription, change: CommittedChange): Promise<boolean> {
  const { subscription, criteria, interactions } = active;
  if (!interactions.has(change.interaction)) {
    return false;
  }
  if (subscription.end && Date.parse(subscription.end) <= Date.now()) {
    return false;
  }
  if (!matchesSearchCriteria(criteria, change.resource)) {
    return false;
  }
  if (criteria.fhirPath === undefined) {
    return true;
  }
  const previous =
    change.interaction === 'create'
      ? undefined
      : await loadPreviousVersion(db, change.resourceType, change.id, change.versionId);
  return matchesFhirPathCriteria(criteria.fhirPath, change.resource, previous);
}

/**
 * The queued delivery of one change to one rest-hook or bot Subscription, keyed by Subscription and version so the
 * same version is never queued twice while it waits.
 */
function deliveryJob(active: ActiveSubscription, change: CommittedChange, defaultAttempts: number): JobSpec {
  const { subscription } = active;
  const version = `${change.resourceType}/${change.id}/${change.versionId}`;
  const endpoint = subscription.channel.endpoint ?? '';
  const maxAttempts = maxAttemptsOf(subscription, defaultAttempts);
  const tuple: [string, string, string, string] = [
    change.resourceType,
    change.id,
    change.versionId,
    change.interaction,
  ];
  if (endpoint.startsWith('Bot/')) {
    const inline = change.interaction !== 'delete' && JSON.stringify(change.resource).length <= MAX_INLINE_INPUT;
    return {
      task: EXECUTE_BOT_TASK,
      payload: {
        bot: endpoint,
        subscription: `Subscription/${subscription.id}`,
        change: tuple,
        ...(inline ? { input: change.resource } : {}),
      } satisfies ExecuteBotPayload,
      key: `bot:${subscription.id}:${version}`,
      maxAttempts,
    };
  }
  return {
    task: REST_HOOK_TASK,
    payload: { subscription: subscription.id, change: tuple } satisfies RestHookPayload,
    key: `hook:${subscription.id}:${version}`,
    maxAttempts,
  };
}

const triggers = new WeakMap<object, WriteTriggers>();

/** Makes every repository on this pool queue the work its writes trigger. */
export function attachWriteTriggers(pool: Db, writeTriggers: WriteTriggers): void {
  triggers.set(pool, writeTriggers);
}

/** The pool's triggers; none for bare pools in unit tests of storage alone. */
export function writeTriggersOf(pool: Db): WriteTriggers | undefined {
  return triggers.get(pool);
}
