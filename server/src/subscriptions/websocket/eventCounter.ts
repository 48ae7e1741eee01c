// Numbers each Subscription's events (R4B eventsSinceSubscriptionStart): Redis INCR across instances, else in memory.
import type { Redis } from 'ioredis';

export interface EventCounter {
  /** Counts one more event and returns its number (1 for the first). */
  next(subscriptionId: string): Promise<number>;
  /** Events counted so far (0 before the first). */
  current(subscriptionId: string): Promise<number>;
}

/** The Redis key of a Subscription's count. */
export function eventCountKey(subscriptionId: string): string {
  return `rpm:subscription-events:count:${subscriptionId}`;
}

/** Shared by every instance using this Redis. */
export function redisEventCounter(redis: Redis): EventCounter {
  return {
    next: (subscriptionId) => redis.incr(eventCountKey(subscriptionId)),
    current: async (subscriptionId) => Number((await redis.get(eventCountKey(subscriptionId))) ?? 0),
  };
}

/** One process without Redis: counts since the process started. */
export function localEventCounter(): EventCounter {
  const counts = new Map<string, number>();
  return {
    next: async (subscriptionId) => {
      const next = (counts.get(subscriptionId) ?? 0) + 1;
      counts.set(subscriptionId, next);
      return next;
    },
    current: async (subscriptionId) => counts.get(subscriptionId) ?? 0,
  };
}
