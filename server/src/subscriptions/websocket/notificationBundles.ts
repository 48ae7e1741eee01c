// R4B-style notification bundles (handshake, heartbeat, event-notification) as Medplum's SubscriptionManager reads them.
import crypto from 'node:crypto';
import type { Bundle, BundleEntry, SubscriptionStatus } from '@medplum/fhirtypes';
import type { SubscriptionEvent } from './subscriptionEvent.ts';

type StatusCode = NonNullable<SubscriptionStatus['status']>;

/** The SubscriptionStatus entry every notification starts with (as the R4B backport's `$status` answer). */
function statusEntry(
  subscriptionId: string,
  type: SubscriptionStatus['type'],
  status: StatusCode,
  eventsSinceSubscriptionStart: number | undefined,
  notificationEvent?: SubscriptionStatus['notificationEvent']
): BundleEntry {
  const id = crypto.randomUUID();
  return {
    fullUrl: `urn:uuid:${id}`,
    resource: {
      resourceType: 'SubscriptionStatus',
      id,
      status,
      type,
      ...(eventsSinceSubscriptionStart === undefined
        ? {}
        : { eventsSinceSubscriptionStart: String(eventsSinceSubscriptionStart) }),
      ...(notificationEvent ? { notificationEvent } : {}),
      subscription: { reference: `Subscription/${subscriptionId}` },
    },
    request: { method: 'GET', url: `Subscription/${subscriptionId}/$status` },
    response: { status: '200' },
  };
}

function historyBundle(entry: BundleEntry[]): Bundle {
  return {
    resourceType: 'Bundle',
    id: crypto.randomUUID(),
    type: 'history',
    timestamp: new Date().toISOString(),
    entry,
  };
}

/** Sent once a socket is bound to a Subscription (the count is left out when it could not be read). */
export function handshakeBundle(subscriptionId: string, status: StatusCode, eventCount: number | undefined): Bundle {
  return historyBundle([statusEntry(subscriptionId, 'handshake', status, eventCount)]);
}

/** Sent every heartbeat period to a bound socket, so that it knows the binding is alive. */
export function heartbeatBundle(subscriptionId: string, status: StatusCode, eventCount: number | undefined): Bundle {
  return historyBundle([statusEntry(subscriptionId, 'heartbeat', status, eventCount)]);
}

const REQUESTS = {
  create: { method: 'POST', response: '201' },
  update: { method: 'PUT', response: '200' },
  delete: { method: 'DELETE', response: '204' },
} as const;

/**
 * One event: the SubscriptionStatus (event number, focus reference), then the focus resource with the interaction
 * that produced it. A deleted resource's entry has no resource (as in a history Bundle).
 */
export function eventNotificationBundle(event: SubscriptionEvent, fhirBaseUrl: string): Bundle {
  const { change } = event;
  const reference = `${change.resourceType}/${change.id}`;
  const request = REQUESTS[change.interaction];
  const focus: BundleEntry = {
    fullUrl: `${fhirBaseUrl}/${reference}`,
    ...(change.interaction === 'delete' ? {} : { resource: change.resource }),
    request: { method: request.method, url: change.interaction === 'create' ? change.resourceType : reference },
    response: {
      status: request.response,
      etag: `W/"${change.versionId}"`,
      ...(change.resource.meta?.lastUpdated ? { lastModified: change.resource.meta.lastUpdated } : {}),
    },
  };
  return historyBundle([
    statusEntry(event.subscriptionId, 'event-notification', event.status, event.eventNumber, [
      { eventNumber: String(event.eventNumber), timestamp: event.timestamp, focus: { reference } },
    ]),
    focus,
  ]);
}
