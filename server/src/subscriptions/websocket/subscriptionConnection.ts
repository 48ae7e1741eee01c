// One client socket: its bindings (token, caller, heartbeat, expiry), its messages, and its notifications in order.
import type { Subscription, SubscriptionStatus } from '@medplum/fhirtypes';
import type { WebSocket } from 'ws';
import type { Caller } from '../../auth/authenticate.ts';
import type { Db } from '../../db/pool.ts';
import { PostgresRepository } from '../../fhir/repository/postgresRepository.ts';
import { bindingTokenHash, findBindingToken } from './bindingTokens.ts';
import { errorOutcome, parseClientMessage } from './clientMessages.ts';
import type { EventCounter } from './eventCounter.ts';
import { mayReceive } from './focusAccess.ts';
import { handshakeBundle, heartbeatBundle } from './notificationBundles.ts';
import { heartbeatPeriodOf, isWebSocketSubscription } from './subscriptionChannel.ts';
import type { SubscriptionEvent } from './subscriptionEvent.ts';

/** Subscriptions one socket may be bound to at once. */
export const MAX_BINDINGS_PER_SOCKET = 100;
/** Notifications, heartbeats and binds waiting for their turn on one socket; past this the socket is closed (1013). */
export const MAX_QUEUED_PER_SOCKET = 1000;
/** A socket whose unsent data exceeds this is a consumer too slow to keep: it is terminated. */
export const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

type StatusCode = NonNullable<SubscriptionStatus['status']>;

interface Binding {
  subscriptionId: string;
  tokenHash: string;
  caller: Caller;
  status: StatusCode;
  heartbeat: NodeJS.Timeout;
  expiry: NodeJS.Timeout;
}

/** Which sockets hold which Subscriptions (on this instance). */
export interface BindingRegistry {
  add(subscriptionId: string, connection: SubscriptionConnection): void;
  remove(subscriptionId: string, connection: SubscriptionConnection): void;
}

export interface ConnectionDeps {
  pool: Db;
  fhirBaseUrl: string;
  heartbeatSeconds: number;
  counter: EventCounter;
  /** Resolves once this instance hears published events: a handshake promises the socket hears what follows. */
  fanoutReady: Promise<void>;
  registry: BindingRegistry;
}

export class SubscriptionConnection {
  readonly socket: WebSocket;
  private readonly deps: ConnectionDeps;
  private readonly bindings = new Map<string, Binding>();
  /** Every message to the client except pong goes through this chain, so notifications keep their order. */
  private queue: Promise<void> = Promise.resolve();
  private queued = 0;
  private closed = false;

  constructor(socket: WebSocket, deps: ConnectionDeps) {
    this.socket = socket;
    this.deps = deps;
  }

  /** Subscriptions this socket is bound to. */
  get boundSubscriptions(): string[] {
    return [...this.bindings.keys()];
  }

  /** A message from the client; malformed ones are answered with an OperationOutcome, never thrown. */
  handleMessage(text: string): void {
    const message = parseClientMessage(text);
    if ('error' in message) {
      this.sendJson(errorOutcome(message.error));
    } else if (message.type === 'ping') {
      this.sendJson({ type: 'pong' });
    } else if (message.type === 'bind-with-token') {
      this.enqueue(() => this.bind(message.token));
    } else {
      this.enqueue(() => this.unbind(message.token));
    }
  }

  /**
   * An event of a Subscription this socket may be bound to: sent (as `notification()`, built once for all sockets)
   * only if the binding's caller may read the focus resource.
   */
  deliver(event: SubscriptionEvent, notification: () => string): void {
    if (!this.bindings.has(event.subscriptionId)) {
      return;
    }
    this.enqueue(async () => {
      const binding = this.bindings.get(event.subscriptionId);
      const { pool, fhirBaseUrl } = this.deps;
      const allowed = binding
        ? await mayReceive(pool, fhirBaseUrl, binding.caller, event.change.resource).catch((err: Error) => {
            console.error('Websocket notification skipped: the access check failed:', err.message);
            return false;
          })
        : false;
      if (allowed) {
        this.send(notification());
      }
    });
  }

  /**
   * Ends the bindings whose caller matches (its access token or grant was revoked, its account disabled): the client
   * hears why, and nothing more is sent for those Subscriptions until it binds again with a token that works.
   */
  endBindings(match: (caller: Caller) => boolean, reason: string): void {
    for (const binding of [...this.bindings.values()]) {
      if (match(binding.caller)) {
        this.removeBinding(binding.subscriptionId);
        this.sendJson(
          errorOutcome(`The binding of Subscription/${binding.subscriptionId} ended: ${reason}`, 'security')
        );
      }
    }
  }

  /** The socket closed: drop every binding and stop its timers. */
  close(): void {
    this.closed = true;
    for (const subscriptionId of [...this.bindings.keys()]) {
      this.removeBinding(subscriptionId);
    }
  }

  private async bind(token: string): Promise<void> {
    const { pool, fhirBaseUrl } = this.deps;
    const grant = await findBindingToken(pool, token);
    if (!grant) {
      this.sendJson(
        errorOutcome(
          'Unknown or expired binding token: get a new one from Subscription/{id}/$get-ws-binding-token',
          'security'
        )
      );
      return;
    }
    const { subscriptionId } = grant;
    let subscription: Subscription;
    try {
      subscription = await new PostgresRepository(pool, { fhirBaseUrl }).readResource<Subscription>(
        'Subscription',
        subscriptionId
      );
    } catch {
      this.sendJson(errorOutcome(`Subscription/${subscriptionId} no longer exists`, 'not-found'));
      return;
    }
    if (!isWebSocketSubscription(subscription)) {
      this.sendJson(errorOutcome(`Subscription/${subscriptionId} is not a websocket Subscription`));
      return;
    }
    if (!this.bindings.has(subscriptionId) && this.bindings.size >= MAX_BINDINGS_PER_SOCKET) {
      this.sendJson(errorOutcome(`A socket binds to at most ${MAX_BINDINGS_PER_SOCKET} Subscriptions`, 'too-costly'));
      return;
    }
    await this.deps.fanoutReady;
    if (this.closed) {
      return;
    }
    // Binding again (a fresh token before the old one expires) replaces the binding.
    this.removeBinding(subscriptionId);
    const status = subscription.status ?? 'active';
    const periodMs = heartbeatPeriodOf(subscription, this.deps.heartbeatSeconds) * 1000;
    const binding: Binding = {
      subscriptionId,
      tokenHash: bindingTokenHash(token),
      caller: grant.caller,
      status,
      heartbeat: setInterval(() => this.enqueue(() => this.sendHeartbeat(subscriptionId)), periodMs).unref(),
      expiry: setTimeout(
        () => this.expire(subscriptionId),
        Math.max(0, grant.expiresAt.getTime() - Date.now())
      ).unref(),
    };
    this.bindings.set(subscriptionId, binding);
    this.deps.registry.add(subscriptionId, this);
    this.sendJson(handshakeBundle(subscriptionId, status, await this.eventCount(subscriptionId)));
  }

  private async unbind(token: string): Promise<void> {
    const hash = bindingTokenHash(token);
    let subscriptionId = [...this.bindings.values()].find((b) => b.tokenHash === hash)?.subscriptionId;
    if (!subscriptionId) {
      const grant = await findBindingToken(this.deps.pool, token);
      if (!grant) {
        this.sendJson(errorOutcome('Unknown or expired binding token', 'security'));
        return;
      }
      subscriptionId = grant.subscriptionId;
    }
    this.removeBinding(subscriptionId);
  }

  /** A heartbeat, unless the binding's account was disabled meanwhile (then the binding ends instead). */
  private async sendHeartbeat(subscriptionId: string): Promise<void> {
    const binding = this.bindings.get(subscriptionId);
    if (binding?.caller.subject && (await accountDisabled(this.deps.pool, binding.caller.subject))) {
      this.endBindings((caller) => caller.subject === binding.caller.subject, 'the account was disabled');
      return;
    }
    if (binding) {
      this.sendJson(heartbeatBundle(subscriptionId, binding.status, await this.eventCount(subscriptionId)));
    }
  }

  /** The Subscription's event count; undefined (left out of the bundle) while Redis does not answer. */
  private async eventCount(subscriptionId: string): Promise<number | undefined> {
    return this.deps.counter.current(subscriptionId).catch((err: Error) => {
      console.error('Websocket subscriptions: cannot read an event count:', err.message);
      return undefined;
    });
  }

  /** The binding's token expired: nothing more is sent for it until the client binds again with a fresh token. */
  private expire(subscriptionId: string): void {
    if (this.bindings.has(subscriptionId)) {
      this.removeBinding(subscriptionId);
      this.sendJson(
        errorOutcome(`The binding of Subscription/${subscriptionId} expired: bind again with a new token`, 'security')
      );
    }
  }

  private removeBinding(subscriptionId: string): void {
    const binding = this.bindings.get(subscriptionId);
    if (binding) {
      clearInterval(binding.heartbeat);
      clearTimeout(binding.expiry);
      this.bindings.delete(subscriptionId);
      this.deps.registry.remove(subscriptionId, this);
    }
  }

  private enqueue(task: () => Promise<void>): void {
    if (this.closed) {
      return;
    }
    if (this.queued >= MAX_QUEUED_PER_SOCKET) {
      this.socket.close(1013, 'Too many pending notifications');
      return;
    }
    this.queued++;
    this.queue = this.queue
      .then(task)
      .catch((err: unknown) => {
        console.error('Websocket subscription error:', (err as Error).message);
        this.sendJson(errorOutcome('The server could not process the message', 'exception'));
      })
      .finally(() => {
        this.queued--;
      });
  }

  private sendJson(value: unknown): void {
    this.send(JSON.stringify(value));
  }

  private send(text: string): void {
    if (this.socket.readyState !== this.socket.OPEN) {
      return;
    }
    if (this.socket.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.socket.terminate();
      return;
    }
    this.socket.send(text);
  }
}

/** Whether the account exists and is disabled (an account id unknown here, e.g. an upstream test identity, is not). */
async function accountDisabled(pool: Db, accountId: string): Promise<boolean> {
  const { rows } = await pool.query('SELECT disabled FROM account WHERE id = $1', [accountId]);
  return rows[0]?.disabled === true;
}
