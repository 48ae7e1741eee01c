// Bot: every rule that a new reading can trigger, in one run: thresholds (with the combined rule), NEWS2, weight trend.
import type { BotEvent, MedplumClient } from '@medplum/core';
import type { Bundle, Observation } from '@medplum/fhirtypes';
import { computeNews2, type News2BotResult } from './news2.bot.ts';
import { evaluateObservationThresholds, type ThresholdsBotResult } from './observationThresholds.bot.ts';
import { checkWeightTrend, type WeightTrendBotResult } from './weightTrend.bot.ts';
import type { BotClient } from './monitoringContext.ts';
import { batchClient, prefetchForReadings, type BatchClient } from './readingBatch.ts';

export interface ObservationAlertsResult {
  thresholds: ThresholdsBotResult;
  news2: News2BotResult;
  weightTrend: WeightTrendBotResult;
}

/**
 * Medplum bot entry point, triggered by a Subscription on Observation create and update. Each rule is idempotent for
 * the same Observation version, so the runtime may retry the whole run after any failure. The input is one
 * Observation (as on any Medplum server) or, where the server batches triggered runs (the Bot's rpm-bot-batch-size
 * extension, server/src/bots/README.md), a collection Bundle of them, answered with one result per entry.
 */
export async function handler(
  medplum: MedplumClient,
  event: BotEvent<Observation | Bundle>
): Promise<ObservationAlertsResult | ObservationAlertsResult[]> {
  const input = event.input;
  if (input.resourceType === 'Bundle') {
    const readings = (input.entry ?? [])
      .map((e) => e.resource)
      .filter((r): r is Observation => r?.resourceType === 'Observation');
    return evaluateObservations(medplum, readings, new Date());
  }
  return evaluateObservation(medplum, input, new Date());
}

/**
 * Several readings in one run: their patients' CarePlans and recent readings are read with a few searches for the
 * whole batch, then each reading runs through the rules in order (one after another, so two readings of one patient
 * never race to open the same alert). Each rule sees what it would see alone.
 */
export async function evaluateObservations(
  client: BatchClient,
  readings: Observation[],
  now: Date
): Promise<ObservationAlertsResult[]> {
  const batch = batchClient(client, await prefetchForReadings(client, readings));
  const results: ObservationAlertsResult[] = [];
  for (const reading of readings) {
    results.push(await evaluateObservation(batch, reading, now));
  }
  return results;
}

/** The handler's work, with the clock given (tests). */
export async function evaluateObservation(
  client: BotClient,
  observation: Observation,
  now: Date
): Promise<ObservationAlertsResult> {
  const medplum = sharingMonitoringReads(client);
  const thresholds = await evaluateObservationThresholds(medplum, observation, now);
  const news2 = await computeNews2(medplum, observation, now);
  const weightTrend = await checkWeightTrend(medplum, observation, now);
  return { thresholds, news2, weightTrend };
}

/** Types every rule reads the same way (the monitoring context): read once per run, not once per rule. */
const SHARED_TYPES: ReadonlySet<string> = new Set(['CarePlan', 'PlanDefinition', 'Goal']);

/** The client with its monitoring-context searches shared between the rules of one run. */
function sharingMonitoringReads(client: BotClient): BotClient {
  const searches = new Map<string, ReturnType<BotClient['searchResources']>>();
  const server = (client as { getBaseUrl?: () => string }).getBaseUrl?.bind(client);
  return {
    ...(server ? { getBaseUrl: server } : {}),
    searchResources: ((resourceType: string, query: unknown) => {
      if (!SHARED_TYPES.has(resourceType)) {
        return client.searchResources(resourceType as 'Observation', query as undefined);
      }
      const key = `${resourceType} ${JSON.stringify(query)}`;
      let search = searches.get(key);
      if (!search) {
        search = client.searchResources(resourceType as 'CarePlan', query as undefined);
        searches.set(key, search);
      }
      return search;
    }) as BotClient['searchResources'],
    createResourceIfNoneExist: client.createResourceIfNoneExist.bind(client),
    updateResource: client.updateResource.bind(client),
  };
}
