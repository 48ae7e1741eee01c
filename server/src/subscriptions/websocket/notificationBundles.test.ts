// The notification bundles' shape for each interaction, and heartbeats without a readable count.
import type { Observation } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import { eventNotificationBundle, heartbeatBundle } from './notificationBundles.ts';
import type { SubscriptionEvent } from './subscriptionEvent.ts';

const resource: Observation = {
  resourceType: 'Observation',
  id: 'obs-1',
  meta: { versionId: 'v2', lastUpdated: '2025-01-01T12:00:00.000Z' },
  status: 'final',
  code: { text: 'heart rate' },
};
const event = (interaction: 'create' | 'update' | 'delete'): SubscriptionEvent => ({
  subscriptionId: 'sub-1',
  status: 'active',
  eventNumber: 7,
  timestamp: '2025-01-01T12:00:01.000Z',
  change: { resourceType: 'Observation', id: 'obs-1', versionId: 'v2', interaction, resource },
});

describe('notification bundles', () => {
  test('an update: PUT Type/id, 200, the version ETag and Last-Modified', () => {
    const bundle = eventNotificationBundle(event('update'), 'https://rpm.test/fhir/R4');
    expect(bundle.entry?.[0].resource).toMatchObject({
      type: 'event-notification',
      eventsSinceSubscriptionStart: '7',
      notificationEvent: [{ eventNumber: '7', timestamp: '2025-01-01T12:00:01.000Z' }],
    });
    expect(bundle.entry?.[1]).toEqual({
      fullUrl: 'https://rpm.test/fhir/R4/Observation/obs-1',
      resource,
      request: { method: 'PUT', url: 'Observation/obs-1' },
      response: { status: '200', etag: 'W/"v2"', lastModified: '2025-01-01T12:00:00.000Z' },
    });
  });

  test('a delete: DELETE Type/id, 204, no resource (as in a history Bundle)', () => {
    const bundle = eventNotificationBundle(event('delete'), 'https://rpm.test/fhir/R4');
    expect(bundle.entry?.[1]).not.toHaveProperty('resource');
    expect(bundle.entry?.[1]).toMatchObject({
      request: { method: 'DELETE', url: 'Observation/obs-1' },
      response: { status: '204' },
    });
  });

  test('a heartbeat without a readable count leaves eventsSinceSubscriptionStart out', () => {
    const status = heartbeatBundle('sub-1', 'active', undefined).entry?.[0].resource;
    expect(status).toMatchObject({ type: 'heartbeat', subscription: { reference: 'Subscription/sub-1' } });
    expect(status).not.toHaveProperty('eventsSinceSubscriptionStart');
  });
});
