// After the stream: waits for every red reading's alert, and measures commit-to-alert and commit-to-websocket latency.
import type { Bundle, DetectedIssue } from '@medplum/fhirtypes';
import type { FhirClient } from '../fhirClient.ts';
import { percentiles } from '../percentile.ts';
import type { AlertListener } from './alertWebSocket.ts';
import type { CommittedReading } from './streamReadings.ts';

export interface LatencySummary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface AlertLatencies {
  expected: number;
  /** Red readings with exactly one alert implicating them. */
  alerted: number;
  missing: number;
  /** How long after the stream the bench waited for alerts (missing = none by then: late, not necessarily lost). */
  waitSeconds: number;
  /** Red readings whose patient had more than one alert. */
  duplicated: number;
  toDetectedIssue: LatencySummary;
  /** From the device's first send (before any 503 and resend) to the DetectedIssue's commit. */
  sentToDetectedIssue: LatencySummary;
  toWebSocket: LatencySummary;
  /** Seconds from the end of the stream until the last alert was found (the backlog it left). */
  drainSeconds: number;
}

export function summarise(samples: number[]): LatencySummary {
  const [p50, p95, p99] = percentiles(samples, [50, 95, 99]);
  return { count: samples.length, p50, p95, p99, max: samples.length ? Math.max(...samples) : Number.NaN };
}

/** Alerts of one patient with the time each version was committed (history, oldest first). */
async function alertVersions(
  client: FhirClient,
  patientId: string
): Promise<{ alerts: number; versions: DetectedIssue[] }> {
  const search = await client.get(`/DetectedIssue?patient=Patient/${patientId}`);
  const alerts = ((search.json as Bundle | undefined)?.entry ?? []).map((e) => e.resource as DetectedIssue);
  const versions: DetectedIssue[] = [];
  for (const alert of alerts) {
    const history = await client.get(`/DetectedIssue/${alert.id}/_history?_count=100`);
    versions.push(...((history.json as Bundle | undefined)?.entry ?? []).map((e) => e.resource as DetectedIssue));
  }
  versions.sort((a, b) => Date.parse(a.meta?.lastUpdated ?? '') - Date.parse(b.meta?.lastUpdated ?? ''));
  return { alerts: alerts.length, versions };
}

export async function measureAlertLatency(
  client: FhirClient,
  readings: CommittedReading[],
  listener: AlertListener,
  timeoutSeconds: number
): Promise<AlertLatencies> {
  const reds = readings.filter((r) => r.red);
  const streamEnded = Date.now();
  const pending = new Map(reds.map((r) => [r.observationId, r]));
  const toDetectedIssue: number[] = [];
  const sentToDetectedIssue: number[] = [];
  let duplicated = 0;
  let lastFound = streamEnded;
  const deadline = streamEnded + timeoutSeconds * 1000;
  while (pending.size > 0 && Date.now() < deadline) {
    for (const reading of [...pending.values()]) {
      const { alerts, versions } = await alertVersions(client, reading.patientId);
      const first = versions.find((v) =>
        v.implicated?.some((i) => i.reference === `Observation/${reading.observationId}`)
      );
      if (!first) {
        continue;
      }
      pending.delete(reading.observationId);
      lastFound = Date.now();
      if (alerts > 1) {
        duplicated++;
      }
      toDetectedIssue.push(Date.parse(first.meta?.lastUpdated as string) - reading.committedAtMs);
      sentToDetectedIssue.push(Date.parse(first.meta?.lastUpdated as string) - reading.firstSentAtMs);
    }
    if (pending.size > 0) {
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  // Give the last websocket messages a moment, then pair them with their readings.
  await new Promise((r) => setTimeout(r, 1000));
  const toWebSocket = reds
    .filter((r) => listener.firstSeen.has(r.observationId))
    .map((r) => (listener.firstSeen.get(r.observationId) as number) - r.committedAtMs);
  return {
    expected: reds.length,
    alerted: reds.length - pending.size - duplicated,
    missing: pending.size,
    waitSeconds: timeoutSeconds,
    duplicated,
    toDetectedIssue: summarise(toDetectedIssue),
    sentToDetectedIssue: summarise(sentToDetectedIssue),
    toWebSocket: summarise(toWebSocket),
    drainSeconds: (lastFound - streamEnded) / 1000,
  };
}

/** Waits (at most 5 minutes) until every red warm-up reading has its alert, so the measured stream starts idle. */
export async function waitForWarmupAlerts(client: FhirClient, readings: CommittedReading[]): Promise<void> {
  const deadline = Date.now() + 300_000;
  for (const reading of readings.filter((r) => r.red)) {
    while (Date.now() < deadline) {
      const { versions } = await alertVersions(client, reading.patientId);
      if (versions.length > 0) {
        break;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  await new Promise((r) => setTimeout(r, 2_000));
}
