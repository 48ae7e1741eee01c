// What the websocket channel reads from a Subscription: its channel type and its heartbeat period.
import type { Subscription } from '@medplum/fhirtypes';

/** The R4B backport's heartbeat period (seconds) on Subscription.channel. */
export const HEARTBEAT_PERIOD_EXTENSION =
  'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-heartbeat-period';

/** Heartbeat periods are kept within these bounds (seconds). */
export const MIN_HEARTBEAT_SECONDS = 1;
export const MAX_HEARTBEAT_SECONDS = 3600;

export function isWebSocketSubscription(subscription: Subscription): boolean {
  return subscription.channel?.type === 'websocket';
}

/** The Subscription's own heartbeat period when it has one, else the server's; in seconds, within bounds. */
export function heartbeatPeriodOf(subscription: Subscription, defaultSeconds: number): number {
  const own = subscription.channel?.extension?.find((e) => e.url === HEARTBEAT_PERIOD_EXTENSION)?.valueUnsignedInt;
  const seconds = typeof own === 'number' && own > 0 ? own : defaultSeconds;
  return Math.min(MAX_HEARTBEAT_SECONDS, Math.max(MIN_HEARTBEAT_SECONDS, seconds));
}
