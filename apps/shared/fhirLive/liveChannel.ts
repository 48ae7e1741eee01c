// Live FHIR changes for both SMART apps: reuse or create the user's websocket Subscriptions, bind them, listen.
import type { MedplumClient, WithId } from '@medplum/core';
import type { Bundle, BundleEntry, Parameters, Resource, Subscription } from '@medplum/fhirtypes';

/** One notified change: the resource version (absent for a delete) and how it was written (POST create, PUT update). */
export interface LiveEvent {
  resource?: Resource;
  method?: string;
}

export type ChannelState = 'connecting' | 'live' | 'reconnecting' | 'unavailable';

export interface LiveChannelHandlers {
  onEvents(events: LiveEvent[]): void;
  onState(state: ChannelState): void;
  /** The socket came back after a break: events may have been missed (nothing is replayed). */
  onReconnected(): void;
}

export interface LiveChannelOptions {
  /** The `reason` of the Subscriptions the app creates (it says which app made them, e.g. to an administrator). */
  reason: string;
}

/** Servers laid out as ours and Medplum's (`<root>/fhir/R4`): their `$get-ws-binding-token` gives the socket's URL. */
const MEDPLUM_LAYOUT = /\/fhir\/R4\/?$/;

/**
 * Whether the client's FHIR server may offer websocket Subscriptions (the discovery the clinician app does at launch,
 * by the server's layout). A server that then refuses them makes the channel 'unavailable'; apps keep polling.
 */
export function mayOfferLiveUpdates(medplum: MedplumClient): boolean {
  return MEDPLUM_LAYOUT.test(medplum.fhirUrl().toString());
}

/** Rebind this long before a binding token expires (it never outlives the access token that asked for it). */
const REBIND_MARGIN_MS = 60_000;
const MIN_REBIND_MS = 5_000;
const MAX_BACKOFF_MS = 30_000;

interface Binding {
  subscriptionId: string;
  token: string;
  url: string;
  expiresAt: number;
}

function issueCode(err: unknown): string | undefined {
  return (err as { outcome?: { issue?: { code?: string }[] } } | undefined)?.outcome?.issue?.[0]?.code;
}

/** The Subscription is gone (deleted, or not this user's any more). */
function isGone(err: unknown): boolean {
  const code = issueCode(err);
  return code === 'not-found' || code === 'deleted';
}

/** The server (or this token) does not offer it: no point retrying. Network and server errors are retried. */
function isRefusal(err: unknown): boolean {
  const code = issueCode(err);
  return code !== undefined && !['exception', 'transient', 'timeout', 'throttled', 'unknown'].includes(code);
}

/**
 * The user's own active websocket Subscription for each criteria: found among theirs (the server returns only a
 * user's own) or created. One lookup at a time per server and criteria for the whole page (a tab is one user's
 * session), shared by every MedplumClient the app makes (token refreshes), both mounts of React StrictMode and every
 * reconnect: concurrent launches of the channel must not each create one.
 */
const ensured = new Map<string, Promise<string>>();

/** The user's active Subscriptions, one search shared by the lookups that run at the same time (one per criteria). */
const listings = new Map<string, Promise<WithId<Subscription>[]>>();

function activeSubscriptions(medplum: MedplumClient): Promise<WithId<Subscription>[]> {
  const key = medplum.getBaseUrl();
  let listing = listings.get(key);
  if (!listing) {
    const pending = medplum
      .searchResources('Subscription', { status: 'active', _count: '100' }, { cache: 'no-cache' })
      .then((found) => [...found]);
    const done = (): void => {
      if (listings.get(key) === pending) {
        listings.delete(key);
      }
    };
    pending.then(done, done);
    listings.set(key, pending);
    listing = pending;
  }
  return listing;
}

async function findOrCreate(medplum: MedplumClient, criteria: string, reason: string): Promise<string> {
  // A failed search fails the bind (retried with back-off): creating on failure would add a duplicate each time.
  const existing = await activeSubscriptions(medplum);
  const mine = existing.find((s) => s.criteria === criteria && s.channel?.type === 'websocket');
  if (mine) {
    return mine.id;
  }
  const created = await medplum.createResource<Subscription>({
    resourceType: 'Subscription',
    status: 'requested',
    reason,
    criteria,
    channel: { type: 'websocket' },
  });
  return created.id;
}

function keyOf(medplum: MedplumClient, criteria: string): string {
  return `${medplum.getBaseUrl()} ${criteria}`;
}

function subscriptionFor(medplum: MedplumClient, criteria: string, reason: string): Promise<string> {
  const key = keyOf(medplum, criteria);
  let id = ensured.get(key);
  if (!id) {
    id = findOrCreate(medplum, criteria, reason);
    const pending = id;
    pending.catch(() => {
      if (ensured.get(key) === pending) {
        ensured.delete(key);
      }
    });
    ensured.set(key, id);
  }
  return id;
}

function forget(medplum: MedplumClient, criteria: string): void {
  ensured.delete(keyOf(medplum, criteria));
}

async function bindingToken(medplum: MedplumClient, subscriptionId: string): Promise<Binding> {
  const result = await medplum.get<Parameters>(
    medplum.fhirUrl('Subscription', subscriptionId, '$get-ws-binding-token'),
    { cache: 'no-cache' }
  );
  const value = (name: string) => result.parameter?.find((p) => p.name === name);
  const token = value('token')?.valueString;
  const url = value('websocket-url')?.valueUrl;
  const expiration = value('expiration')?.valueDateTime;
  if (!token || !url || !expiration) {
    throw new Error('The server did not return a websocket binding token');
  }
  return { subscriptionId, token, url, expiresAt: Date.parse(expiration) };
}

function eventsOf(bundle: Bundle): { type?: string; subscriptionId?: string; events: LiveEvent[] } {
  const entries = bundle.entry ?? [];
  const status = entries[0]?.resource as
    { resourceType: 'SubscriptionStatus'; type?: string; subscription?: { reference?: string } } | undefined;
  if (status?.resourceType !== 'SubscriptionStatus') {
    return { events: [] };
  }
  return {
    type: status.type,
    subscriptionId: status.subscription?.reference?.split('/').pop(),
    events: entries.slice(1).map((entry: BundleEntry) => ({ resource: entry.resource, method: entry.request?.method })),
  };
}

/**
 * Opens the live channel for `criteria` (e.g. `DetectedIssue`, `Communication?recipient=Patient/x`): one socket, one
 * binding per Subscription, rebinding before tokens expire and reconnecting (with back-off) after a break. Returns
 * `close`.
 */
export function openLiveChannel(
  medplum: MedplumClient,
  criteria: readonly string[],
  handlers: LiveChannelHandlers,
  options: LiveChannelOptions
): () => void {
  const { reason } = options;
  let closed = false;
  let socket: WebSocket | undefined;
  let attempt = 0;
  let everLive = false;
  let lastSecurityRebind = 0;
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const bindings = new Map<string, Binding>();
  const handshaken = new Set<string>();

  /** The planned rebind of each criteria's Subscription (one at a time). */
  const rebinds = new Map<string, ReturnType<typeof setTimeout>>();

  const later = (ms: number, run: () => void): ReturnType<typeof setTimeout> => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!closed) {
        run();
      }
    }, ms);
    timers.add(timer);
    return timer;
  };

  const send = (message: unknown): void => {
    if (socket?.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(message));
    }
  };

  /** A binding token for the criteria's Subscription; a new Subscription once if the old one is gone. */
  const freshBinding = async (criterion: string): Promise<Binding> => {
    try {
      return await bindingToken(medplum, await subscriptionFor(medplum, criterion, reason));
    } catch (err) {
      if (!isGone(err)) {
        throw err;
      }
      forget(medplum, criterion);
      return bindingToken(medplum, await subscriptionFor(medplum, criterion, reason));
    }
  };

  /** Sends the bind on the open socket and plans the next one before this token expires. */
  const useBinding = (criterion: string, binding: Binding): void => {
    bindings.set(criterion, binding);
    send({ type: 'bind-with-token', payload: { token: binding.token } });
    const remaining = binding.expiresAt - Date.now();
    const planned = rebinds.get(criterion);
    if (planned) {
      clearTimeout(planned);
      timers.delete(planned);
    }
    rebinds.set(
      criterion,
      later(Math.max(Math.min(remaining - REBIND_MARGIN_MS, remaining / 2), MIN_REBIND_MS), () => {
        void bind(criterion);
      })
    );
  };

  const bind = async (criterion: string): Promise<void> => {
    const ws = socket;
    try {
      const binding = await freshBinding(criterion);
      if (!closed && socket === ws) {
        useBinding(criterion, binding);
      }
    } catch {
      // A break: the socket's close starts a reconnect, which binds everything again.
      ws?.close();
    }
  };

  const reconnect = (): void => {
    if (closed) {
      return;
    }
    handlers.onState(everLive ? 'reconnecting' : 'connecting');
    const wait = Math.min(1_000 * 2 ** attempt, MAX_BACKOFF_MS);
    attempt += 1;
    later(wait, () => void connect());
  };

  const connect = async (): Promise<void> => {
    for (const timer of timers) {
      clearTimeout(timer);
    }
    timers.clear();
    handshaken.clear();
    // Every criteria's Subscription is looked up now, together (one search of the user's own), not one by one as
    // each is bound; a failed lookup is simply tried again by its bind.
    for (const criterion of criteria) {
      void subscriptionFor(medplum, criterion, reason);
    }
    let first: Binding;
    try {
      // The first binding token also tells where the socket is (`websocket-url`).
      first = await freshBinding(criteria[0]);
    } catch (err) {
      if (isRefusal(err)) {
        handlers.onState('unavailable');
      } else {
        reconnect();
      }
      return;
    }
    if (closed) {
      return;
    }
    const ws = new WebSocket(first.url);
    socket = ws;
    let announced = false;
    ws.addEventListener('open', () => {
      bindings.clear();
      useBinding(criteria[0], first);
      for (const criterion of criteria.slice(1)) {
        void bind(criterion);
      }
    });
    ws.addEventListener('message', (message: MessageEvent) => {
      let body: { resourceType?: string; type?: string; issue?: { code?: string }[] };
      try {
        body = JSON.parse(String(message.data));
      } catch {
        return;
      }
      if (body.resourceType === 'OperationOutcome') {
        // An expired binding: bind again with a fresh token.
        if (body.issue?.some((i) => i.code === 'security') && Date.now() - lastSecurityRebind > MIN_REBIND_MS) {
          lastSecurityRebind = Date.now();
          for (const criterion of criteria) {
            void bind(criterion);
          }
        }
        return;
      }
      if (body.resourceType !== 'Bundle') {
        return;
      }
      const { type, subscriptionId, events } = eventsOf(body as Bundle);
      if (type === 'handshake' && subscriptionId) {
        handshaken.add(subscriptionId);
        // Once per socket (a rebind before a token expires answers with another handshake: nothing was missed).
        if (handshaken.size >= criteria.length && !announced) {
          announced = true;
          const wasLive = everLive;
          everLive = true;
          attempt = 0;
          handlers.onState('live');
          if (wasLive) {
            handlers.onReconnected();
          }
        }
      } else if (type === 'event-notification' && events.length > 0) {
        handlers.onEvents(events);
      }
    });
    ws.addEventListener('close', () => {
      if (socket === ws) {
        socket = undefined;
        reconnect();
      }
    });
  };

  handlers.onState('connecting');
  void connect();

  return () => {
    closed = true;
    for (const timer of timers) {
      clearTimeout(timer);
    }
    timers.clear();
    const ws = socket;
    socket = undefined;
    if (ws) {
      for (const binding of bindings.values()) {
        if (ws.readyState === WebSocket.OPEN) {
          ws.send(JSON.stringify({ type: 'unbind-from-token', payload: { token: binding.token } }));
        }
      }
      ws.close(1000);
    }
  };
}
