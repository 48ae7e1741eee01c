// One notification of one Subscription, numbered: what the matching instance publishes and every instance delivers.
import type { SubscriptionStatus } from '@medplum/fhirtypes';
import type { CommittedChange } from '../committedChange.ts';

export interface SubscriptionEvent {
  subscriptionId: string;
  /** The Subscription's status when it matched (SubscriptionStatus.status). */
  status: NonNullable<SubscriptionStatus['status']>;
  /** R4B eventNumber: 1 for the Subscription's first event, counted across instances. */
  eventNumber: number;
  /** When the event was numbered (ISO 8601). */
  timestamp: string;
  change: CommittedChange;
}

const STATUSES: ReadonlySet<string> = new Set(['requested', 'active', 'error', 'off']);
const INTERACTIONS: ReadonlySet<string> = new Set(['create', 'update', 'delete']);

/** The event in a fan-out message, or undefined when the message is not one (ignored, never trusted blindly). */
export function parseSubscriptionEvent(text: string): SubscriptionEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const event = value as Partial<SubscriptionEvent> | null;
  const change = event?.change as Partial<CommittedChange> | undefined;
  const valid =
    typeof event?.subscriptionId === 'string' &&
    typeof event.status === 'string' &&
    STATUSES.has(event.status) &&
    Number.isSafeInteger(event.eventNumber) &&
    typeof event.timestamp === 'string' &&
    typeof change?.resourceType === 'string' &&
    typeof change.id === 'string' &&
    typeof change.versionId === 'string' &&
    typeof change.interaction === 'string' &&
    INTERACTIONS.has(change.interaction) &&
    typeof change.resource === 'object' &&
    change.resource !== null &&
    change.resource.resourceType === change.resourceType;
  return valid ? (event as SubscriptionEvent) : undefined;
}
