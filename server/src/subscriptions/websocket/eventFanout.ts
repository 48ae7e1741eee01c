// Carries numbered events from the instance that matched them to every instance: Redis pub/sub, or in process.
import type { Redis } from 'ioredis';
import { parseSubscriptionEvent, type SubscriptionEvent } from './subscriptionEvent.ts';

/** The one Redis channel of websocket notifications; every instance hears every event and keeps its own. */
export const SUBSCRIPTION_EVENTS_CHANNEL = 'rpm:subscription-events';

export interface EventFanout {
  /** Resolves once this instance hears published events (bindings wait for it before their handshake). */
  ready: Promise<void>;
  publish(event: SubscriptionEvent): Promise<void>;
  close(): Promise<void>;
}

/** Publishes through `redis`; listens on a duplicate connection (a subscribed connection can do nothing else). */
export function redisEventFanout(redis: Redis, deliver: (event: SubscriptionEvent) => void): EventFanout {
  const subscriber = redis.duplicate();
  subscriber.on('error', (err: Error) => console.error('Redis error (websocket subscriptions):', err.message));
  subscriber.on('message', (channel: string, text: string) => {
    const event = channel === SUBSCRIPTION_EVENTS_CHANNEL ? parseSubscriptionEvent(text) : undefined;
    if (event) {
      deliver(event);
    }
  });
  const ready = subscriber.subscribe(SUBSCRIPTION_EVENTS_CHANNEL).then(() => undefined);
  ready.catch((err: Error) => console.error('Cannot subscribe to websocket notifications in Redis:', err.message));
  return {
    ready,
    async publish(event) {
      await redis.publish(SUBSCRIPTION_EVENTS_CHANNEL, JSON.stringify(event));
    },
    async close() {
      await subscriber.quit().catch(() => subscriber.disconnect());
    },
  };
}

/** A single process: events go straight to this instance's sockets. */
export function localEventFanout(deliver: (event: SubscriptionEvent) => void): EventFanout {
  return {
    ready: Promise.resolve(),
    async publish(event) {
      deliver(event);
    },
    async close() {},
  };
}
