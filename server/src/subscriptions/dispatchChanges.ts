// The resource-changed job: matches committed versions against active Subscriptions and queues each delivery.
import type { Subscription } from '@medplum/fhirtypes';
import type { WithId } from '@medplum/core';
import type { Db } from '../db/pool.ts';
import type { JobHandler, JobQueue, JobSpec } from '../jobs/jobQueue.ts';
import { ActiveSubscriptions, type ActiveSubscription } from './activeSubscriptions.ts';
import type { ChangeConsumer, CommittedChange } from './committedChange.ts';
import { loadPreviousVersion, loadVersions } from './loadVersions.ts';
import type { ResourceChangedPayload } from './resourceChanges.ts';
import { matchesFhirPathCriteria, matchesSearchCriteria } from './subscriptionCriteria.ts';
import { maxAttemptsOf } from './subscriptionExtensions.ts';
import { REST_HOOK_TASK, type RestHookPayload } from './restHook.ts';

/** The job that runs a bot for a matched change (server/src/bots). */
export const EXECUTE_BOT_TASK = 'execute-bot';

export interface ExecuteBotPayload {
  bot: string;
  subscription?: string;
  /** [resourceType, id, versionId, interaction] of the triggering version; absent for a scheduled run. */
  change?: [string, string, string, string];
}

/** Delivers a change to websocket-bound clients (server/src/subscriptions/websocket). */
export interface WebSocketNotifier {
  notify(subscription: WithId<Subscription>, change: CommittedChange): Promise<void>;
}

export interface DispatchOptions {
  pool: Db;
  queue: JobQueue;
  consumers: ChangeConsumer[];
  /** Set once the websocket channel is attached. */
  webSockets?: WebSocketNotifier;
  /** Default delivery attempts (a Subscription may set its own). */
  maxAttempts: number;
}

/** Does this Subscription want this change? Interaction, end date, search criteria, then FHIRPath. */
async function wants(pool: Db, active: ActiveSubscription, change: CommittedChange): Promise<boolean> {
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
      : await loadPreviousVersion(pool, change.resourceType, change.id, change.versionId);
  return matchesFhirPathCriteria(criteria.fhirPath, change.resource, previous);
}

/** The queued delivery of one change to one rest-hook or bot Subscription. */
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
    return {
      task: EXECUTE_BOT_TASK,
      payload: {
        bot: endpoint,
        subscription: `Subscription/${subscription.id}`,
        change: tuple,
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

/**
 * Runs at least once per committed write batch. Matching is in memory; deliveries are queued with keys naming the
 * Subscription and version, so a re-run while they wait adds nothing twice (and handlers are idempotent for a re-run
 * after they ran). Websocket notifications go out at once: a socket is live or it is not, there is nothing to retry.
 */
export function dispatchChangesTask(options: DispatchOptions): JobHandler {
  const subscriptions = new ActiveSubscriptions();
  return async (payload) => {
    const { changes } = payload as ResourceChangedPayload;
    const contents = await loadVersions(options.pool, changes);
    const jobs: JobSpec[] = [];
    for (const [resourceType, id, versionId, interaction] of changes) {
      const resource = contents.get(`${resourceType}/${id}/${versionId}`);
      if (!resource) {
        continue; // Only possible if history was purged.
      }
      const change: CommittedChange = { resourceType, id, versionId, interaction, resource };
      for (const consumer of options.consumers) {
        jobs.push(...consumer(change));
      }
      for (const active of await subscriptions.forType(options.pool, resourceType)) {
        if (!(await wants(options.pool, active, change))) {
          continue;
        }
        if (active.subscription.channel.type === 'websocket') {
          await options.webSockets
            ?.notify(active.subscription, change)
            .catch((err) => console.error(`[subscriptions] websocket notify failed: ${(err as Error).message}`));
        } else {
          jobs.push(deliveryJob(active, change, options.maxAttempts));
        }
      }
    }
    await options.queue.add(jobs);
  };
}
