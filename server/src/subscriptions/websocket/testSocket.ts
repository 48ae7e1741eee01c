// Test helper: a websocket client (Node's global WebSocket) that collects messages and waits for matching ones.
import type { Bundle, OperationOutcome, SubscriptionStatus } from '@medplum/fhirtypes';

export type ServerMessage = Bundle | OperationOutcome | { type: 'pong' };

export interface TestSocket {
  socket: WebSocket;
  /** Every message received so far, parsed, including those already taken by next(). */
  received: ServerMessage[];
  send(message: unknown): void;
  /** The first not yet taken message that matches (waiting for it up to timeoutMs); taken, so later calls skip it. */
  next(match: (message: ServerMessage) => boolean, timeoutMs?: number): Promise<ServerMessage>;
  /** Resolves when the socket closes, with its close code. */
  closed: Promise<number>;
  close(): void;
}

/** The SubscriptionStatus a notification bundle starts with. */
export function statusOf(message: ServerMessage): SubscriptionStatus | undefined {
  const resource = (message as Bundle).entry?.[0]?.resource;
  return resource?.resourceType === 'SubscriptionStatus' ? resource : undefined;
}

/** Matches notification bundles of this type (and Subscription, when given). */
export function notificationOf(
  type: 'handshake' | 'heartbeat' | 'event-notification',
  subscriptionId?: string
): (message: ServerMessage) => boolean {
  return (message) => {
    const status = statusOf(message);
    return (
      status?.type === type &&
      (subscriptionId === undefined || status.subscription.reference === `Subscription/${subscriptionId}`)
    );
  };
}

export const isOutcome = (message: ServerMessage): boolean =>
  (message as OperationOutcome).resourceType === 'OperationOutcome';

export async function openTestSocket(url: string): Promise<TestSocket> {
  const socket = new WebSocket(url);
  const received: ServerMessage[] = [];
  const taken = new Set<ServerMessage>();
  const waiters = new Set<() => void>();
  socket.addEventListener('message', (event) => {
    received.push(JSON.parse(String(event.data)) as ServerMessage);
    waiters.forEach((wake) => wake());
  });
  const closed = new Promise<number>((resolve) => socket.addEventListener('close', (event) => resolve(event.code)));
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve());
    socket.addEventListener('error', () => reject(new Error(`Cannot open ${url}`)));
  });
  return {
    socket,
    received,
    closed,
    send: (message) => socket.send(typeof message === 'string' ? message : JSON.stringify(message)),
    close: () => socket.close(),
    next(match, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const look = (): boolean => {
          const found = received.find((m) => !taken.has(m) && match(m));
          if (found) {
            taken.add(found);
            waiters.delete(wake);
            clearTimeout(timer);
            resolve(found);
          }
          return found !== undefined;
        };
        const wake = () => void look();
        const timer = setTimeout(() => {
          waiters.delete(wake);
          reject(new Error(`No matching message within ${timeoutMs} ms; received: ${JSON.stringify(received)}`));
        }, timeoutMs);
        if (!look()) {
          waiters.add(wake);
        }
      });
    },
  };
}
