// The FHIR Subscription websocket channel (Medplum-compatible): sockets on /ws/subscriptions-r4, fan-out through Redis.
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import type { WithId } from '@medplum/core';
import type { Subscription } from '@medplum/fhirtypes';
import { Redis } from 'ioredis';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Caller } from '../../auth/authenticate.ts';
import type { Revocation } from '../../auth/revocationFanout.ts';
import type { Db } from '../../db/pool.ts';
import type { CommittedChange } from '../committedChange.ts';
import { forgetBindingTokens } from './bindingTokens.ts';
import { localEventCounter, redisEventCounter } from './eventCounter.ts';
import { localEventFanout, redisEventFanout } from './eventFanout.ts';
import { eventNotificationBundle } from './notificationBundles.ts';
import { SubscriptionConnection, type BindingRegistry } from './subscriptionConnection.ts';
import type { SubscriptionEvent } from './subscriptionEvent.ts';
import { SUBSCRIPTIONS_WEBSOCKET_PATH } from './websocketUrl.ts';

export { registerWebSocketOperations, getWsBindingTokenOperation } from './getWsBindingToken.ts';
export type { BindingTokenDeps } from './getWsBindingToken.ts';
export { SUBSCRIPTIONS_WEBSOCKET_PATH, subscriptionsWebSocketUrl } from './websocketUrl.ts';
export { SUBSCRIPTION_EVENTS_CHANNEL } from './eventFanout.ts';

export interface SubscriptionWebSocketDeps {
  pool: Db;
  /** Shared Redis client (REDIS_URL): events fan out to every instance and are numbered across them. */
  redis?: Redis;
  /** Used when no client is given: this module then opens (and closes) its own. */
  redisUrl?: string;
  /** e.g. http://localhost:8103/fhir/R4 (fullUrls in notifications). */
  fhirBaseUrl: string;
  /** e.g. http://localhost:8103 (the websocket URL handed out with binding tokens). */
  baseUrl: string;
  /** Heartbeat period of bound Subscriptions without their own (R4B backport heartbeat-period extension). */
  heartbeatSeconds?: number;
}

export interface SubscriptionWebSockets {
  /**
   * Called (by the write triggers, on the instance that matched the write) for an active websocket Subscription whose criteria
   * match a committed change: numbers the event and hands it to the instances holding sockets bound to it.
   */
  notify(subscription: WithId<Subscription>, change: CommittedChange): Promise<void>;
  /**
   * An access token or grant was revoked (on any instance): bindings made with it end at once on this instance's
   * sockets, and its binding tokens can no longer bind.
   */
  revoke(revocation: Revocation): Promise<void>;
  /**
   * Closes every socket (1001 going away), then the Redis subscriber and timers. Runs by itself once the HTTP server
   * stops listening (server.close() would otherwise wait for the sockets); calling it first is quicker.
   */
  close(): Promise<void>;
}

export const DEFAULT_HEARTBEAT_SECONDS = 30;
/** Client messages are small (a ping, a token). */
export const MAX_MESSAGE_BYTES = 64 * 1024;
/** Protocol-level pings find dead connections: a socket that did not answer the previous one is terminated. */
const PING_INTERVAL_MS = 30_000;
/** How often the channel looks whether its HTTP server stopped listening. */
const SHUTDOWN_WATCH_MS = 200;

/** Serves websocket subscriptions on `httpServer`'s upgrades to /ws/subscriptions-r4. */
export function attachSubscriptionWebSockets(
  httpServer: http.Server,
  deps: SubscriptionWebSocketDeps
): SubscriptionWebSockets {
  const ownRedis = !deps.redis && deps.redisUrl ? openRedis(deps.redisUrl) : undefined;
  const redis = deps.redis ?? ownRedis;

  const bound = new Map<string, Set<SubscriptionConnection>>();
  const registry: BindingRegistry = {
    add(subscriptionId, connection) {
      let connections = bound.get(subscriptionId);
      if (!connections) {
        connections = new Set();
        bound.set(subscriptionId, connections);
      }
      connections.add(connection);
    },
    remove(subscriptionId, connection) {
      const connections = bound.get(subscriptionId);
      connections?.delete(connection);
      if (connections?.size === 0) {
        bound.delete(subscriptionId);
      }
    },
  };
  const deliver = (event: SubscriptionEvent): void => {
    const connections = bound.get(event.subscriptionId);
    if (!connections) {
      return;
    }
    let text: string | undefined;
    const notification = () => (text ??= JSON.stringify(eventNotificationBundle(event, deps.fhirBaseUrl)));
    for (const connection of connections) {
      connection.deliver(event, notification);
    }
  };
  const counter = redis ? redisEventCounter(redis) : localEventCounter();
  const fanout = redis ? redisEventFanout(redis, deliver) : localEventFanout(deliver);

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  const connectionDeps = {
    pool: deps.pool,
    fhirBaseUrl: deps.fhirBaseUrl,
    heartbeatSeconds: deps.heartbeatSeconds ?? DEFAULT_HEARTBEAT_SECONDS,
    counter,
    fanoutReady: fanout.ready,
    registry,
  };
  const alive = new WeakMap<WebSocket, boolean>();
  wss.on('connection', (socket: WebSocket) => {
    const connection = new SubscriptionConnection(socket, connectionDeps);
    alive.set(socket, true);
    socket.on('pong', () => alive.set(socket, true));
    socket.on('message', (data: RawData) => connection.handleMessage(rawText(data)));
    socket.on('close', () => connection.close());
    // Protocol errors (e.g. a message over maxPayload): ws closes the socket itself; the listener keeps them non-fatal.
    socket.on('error', () => undefined);
  });
  const pinger = setInterval(() => {
    for (const socket of wss.clients) {
      if (!alive.get(socket)) {
        socket.terminate();
      } else {
        alive.set(socket, false);
        socket.ping();
      }
    }
  }, PING_INTERVAL_MS).unref();
  // server.close() waits for every connection, upgraded ones included: once the HTTP server stops listening, the
  // channel closes itself, so that a shutdown which closes the listener first still finishes.
  let wasListening = httpServer.listening;
  const shutdownWatch = setInterval(() => {
    if (wasListening && !httpServer.listening) {
      void channel.close();
    }
    wasListening ||= httpServer.listening;
  }, SHUTDOWN_WATCH_MS).unref();

  const onUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer): void => {
    if (pathOf(req.url) !== SUBSCRIPTIONS_WEBSOCKET_PATH) {
      // Other upgrade listeners may own other paths; alone, this one answers for all of them.
      if (httpServer.listenerCount('upgrade') === 1) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        socket.destroy();
      }
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  };
  httpServer.on('upgrade', onUpgrade);

  let closing: Promise<void> | undefined;
  const channel: SubscriptionWebSockets = {
    async notify(subscription, change) {
      if (closing) {
        return;
      }
      const eventNumber = await counter.next(subscription.id);
      await fanout.publish({
        subscriptionId: subscription.id,
        status: subscription.status ?? 'active',
        eventNumber,
        timestamp: new Date().toISOString(),
        change,
      });
    },
    async revoke(revocation) {
      const revoked = (caller: Caller) =>
        (revocation.token !== undefined && caller.token?.digest === revocation.token) ||
        (revocation.grant !== undefined && caller.token?.grantId === revocation.grant);
      const connections = new Set([...bound.values()].flatMap((set) => [...set]));
      connections.forEach((connection) => connection.endBindings(revoked, 'its access token was revoked'));
      await forgetBindingTokens(deps.pool, revocation);
    },
    close() {
      closing ??= (async () => {
        httpServer.off('upgrade', onUpgrade);
        clearInterval(pinger);
        clearInterval(shutdownWatch);
        await closeSockets(wss);
        await new Promise<void>((resolve) => wss.close(() => resolve()));
        await fanout.close();
        await ownRedis?.quit().catch(() => ownRedis.disconnect());
      })();
      return closing;
    },
  };
  return channel;
}

function openRedis(url: string): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: 3, connectionName: 'rpm-websocket-subscriptions' });
  redis.on('error', (err: Error) => console.error('Redis error (websocket subscriptions):', err.message));
  return redis;
}

function pathOf(url: string | undefined): string {
  try {
    return new URL(url ?? '/', 'http://localhost').pathname;
  } catch {
    return '';
  }
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) {
    return Buffer.concat(data).toString('utf8');
  }
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8');
}

/** Close frames (1001 going away) to every client; those that do not finish the handshake within a second are cut. */
async function closeSockets(wss: WebSocketServer): Promise<void> {
  const sockets = [...wss.clients];
  const closed = sockets.map((socket) => new Promise<void>((resolve) => socket.once('close', () => resolve())));
  for (const socket of sockets) {
    socket.close(1001, 'Server shutting down');
  }
  const timeout = setTimeout(() => sockets.forEach((socket) => socket.terminate()), 1000);
  await Promise.all(closed);
  clearTimeout(timeout);
}
