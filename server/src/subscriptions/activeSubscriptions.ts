// The active Subscriptions by resource type, cached per instance and reloaded whenever any Subscription changes.
import type { Subscription } from '@medplum/fhirtypes';
import type { WithId } from '@medplum/core';
import type { Queryable } from '../db/pool.ts';
import { parseSubscriptionCriteria, type SubscriptionCriteria } from './subscriptionCriteria.ts';
import { subscribedInteractions } from './subscriptionExtensions.ts';
import type { ChangeInteraction } from './writeTriggers.ts';

export interface ActiveSubscription {
  subscription: WithId<Subscription>;
  criteria: SubscriptionCriteria;
  interactions: Set<ChangeInteraction>;
}

/**
 * Whether the set of Subscriptions changed, in one index-only read: (count, newest version id) of every Subscription,
 * since version ids are time-ordered and every create, update and delete writes a new one.
 */
export const SUBSCRIPTION_GENERATION_SQL = `SELECT count(*)::text || ':' || coalesce(max(version_id), '') AS generation
  FROM resource WHERE resource_type = 'Subscription'`;

/**
 * Reloaded whenever the generation read by the writing transaction (at its BEGIN, see WriteTriggers.readAtBegin)
 * differs from the cached one. So a Subscription is in force for every transaction that begins after its own write
 * committed, on every instance.
 */
export class ActiveSubscriptions {
  private generation = '';
  private byType = new Map<string, ActiveSubscription[]>();
  private loading: Promise<void> | undefined;

  /** The generation of the cached Subscriptions; undefined before the first load. */
  get loadedGeneration(): string | undefined {
    return this.generation === '' ? undefined : this.generation;
  }

  /** `generation`: as read at the transaction's start; read now when not given. */
  async forType(db: Queryable, resourceType: string, generation?: string): Promise<ActiveSubscription[]> {
    await this.refresh(db, generation ?? ((await db.query(SUBSCRIPTION_GENERATION_SQL)).rows[0].generation as string));
    return this.byType.get(resourceType) ?? [];
  }

  private async refresh(db: Queryable, generation: string): Promise<void> {
    if (generation === this.generation) {
      return;
    }
    this.loading ??= this.load(db, generation).finally(() => (this.loading = undefined));
    await this.loading;
  }

  private async load(db: Queryable, generation: string): Promise<void> {
    const { rows } = await db.query(
      `SELECT content FROM resource WHERE resource_type = 'Subscription' AND NOT deleted`
    );
    const byType = new Map<string, ActiveSubscription[]>();
    for (const row of rows) {
      const subscription = JSON.parse(row.content) as WithId<Subscription>;
      if (subscription.status !== 'active' || (subscription.end && Date.parse(subscription.end) <= Date.now())) {
        continue;
      }
      try {
        const criteria = parseSubscriptionCriteria(subscription);
        const entry = { subscription, criteria, interactions: subscribedInteractions(subscription) };
        byType.set(criteria.resourceType, [...(byType.get(criteria.resourceType) ?? []), entry]);
      } catch {
        // Stored before validation existed, or unparseable: it matches nothing.
      }
    }
    this.byType = byType;
    this.generation = generation;
  }
}
