// Listens for new alerts as a clinician's app does: a websocket Subscription on DetectedIssue, bound with a token.
import type { Bundle, DetectedIssue, Parameters, Subscription } from '@medplum/fhirtypes';
import type { FhirClient } from '../fhirClient.ts';

export interface AlertListener {
  /** When each Observation was first seen implicated in a notified DetectedIssue (client clock, ms). */
  firstSeen: Map<string, number>;
  notifications: number;
  close(): void;
}

/** Creates the Subscription, gets a binding token ($get-ws-binding-token), connects and binds. */
export async function listenForAlerts(client: FhirClient): Promise<AlertListener> {
  const headers = { authorization: await client.authorizationHeader(), 'content-type': 'application/fhir+json' };
  const created = await fetch(`${client.fhirBaseUrl}/Subscription`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      resourceType: 'Subscription',
      status: 'active',
      reason: 'bench: new alerts',
      criteria: 'DetectedIssue',
      channel: { type: 'websocket' },
    } satisfies Subscription),
  });
  if (created.status !== 201) {
    throw new Error(`POST Subscription answered ${created.status}: ${(await created.text()).slice(0, 300)}`);
  }
  const subscription = (await created.json()) as Subscription;
  const binding = await fetch(`${client.fhirBaseUrl}/Subscription/${subscription.id}/$get-ws-binding-token`, {
    headers,
  });
  if (binding.status !== 200) {
    throw new Error(`$get-ws-binding-token answered ${binding.status}: ${(await binding.text()).slice(0, 300)}`);
  }
  const parameters = (await binding.json()) as Parameters;
  const value = (name: string) =>
    parameters.parameter?.find((p) => p.name === name)?.valueString ??
    parameters.parameter?.find((p) => p.name === name)?.valueUrl;
  const token = value('token');
  const url = value('websocket-url');
  if (!token || !url) {
    throw new Error('$get-ws-binding-token returned no token or websocket-url');
  }
  const listener: AlertListener = { firstSeen: new Map(), notifications: 0, close: () => socket.close() };
  const socket = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve(), { once: true });
    socket.addEventListener('error', () => reject(new Error(`could not connect to ${url}`)), { once: true });
  });
  const bound = new Promise<void>((resolve) => {
    socket.addEventListener('message', (event) => {
      const now = Date.now();
      let bundle: Bundle;
      try {
        bundle = JSON.parse(String(event.data)) as Bundle;
      } catch {
        return;
      }
      const status = bundle.entry?.[0]?.resource as { resourceType?: string; type?: string } | undefined;
      if (status?.resourceType !== 'SubscriptionStatus') {
        return;
      }
      if (status.type === 'handshake') {
        resolve();
      }
      if (status.type !== 'event-notification') {
        return;
      }
      listener.notifications++;
      for (const entry of bundle.entry?.slice(1) ?? []) {
        const alert = entry.resource as DetectedIssue | undefined;
        for (const implicated of alert?.implicated ?? []) {
          const id = implicated.reference?.replace(/^Observation\//, '');
          if (id && !listener.firstSeen.has(id)) {
            listener.firstSeen.set(id, now);
          }
        }
      }
    });
  });
  socket.send(JSON.stringify({ type: 'bind-with-token', payload: { token } }));
  await Promise.race([
    bound,
    new Promise((_, reject) => setTimeout(() => reject(new Error('no websocket handshake within 10 s')), 10_000)),
  ]);
  return listener;
}
