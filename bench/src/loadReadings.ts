// Uploads every patient's vital-sign Observations in transaction bundles and measures the ingestion rate.
import { BundleSource } from './bundleSource.ts';
import type { FhirClient } from './fhirClient.ts';
import type { MonitoredPatient, ReadingPlan } from './generateObservations.ts';
import { sendTransactions, type SendSummary } from './sendTransactions.ts';

export interface ReadingsLoad {
  summary: SendSummary;
  observationsPerSecond: number;
  /** Ids of a spread-out sample of created Observations, for the read-by-id measurement. */
  sampleObservationIds: string[];
  /** Milliseconds the senders waited for the generator worker (should be ~0). */
  generatorStallMs: number;
}

export interface ReadingsLoadOptions {
  bundleSize: number;
  inFlight: number;
  sampleSize: number;
}

export async function loadReadings(
  client: FhirClient,
  plan: ReadingPlan,
  patients: MonitoredPatient[],
  options: ReadingsLoadOptions
): Promise<ReadingsLoad> {
  const total = patients.length * plan.perPatient;
  const keepEvery = Math.max(1, Math.floor(total / options.sampleSize));
  const sampleObservationIds: string[] = [];
  let seen = 0;
  const source = new BundleSource({ plan, patients, bundleSize: options.bundleSize });
  try {
    await source.ready();
    const summary = await sendTransactions(client, () => source.next(), {
      label: 'observations',
      inFlight: options.inFlight,
      totalEntries: total,
      progressStep: 0.1,
      maxConsecutiveFailures: 20,
      onOutcome: (_bundle, outcome) => {
        for (const reference of outcome.references) {
          if (seen++ % keepEvery === 0 && sampleObservationIds.length < options.sampleSize) {
            sampleObservationIds.push(reference.slice(reference.indexOf('/') + 1));
          }
        }
      },
    });
    return {
      summary,
      observationsPerSecond: summary.created / Math.max(summary.seconds, 1e-3),
      sampleObservationIds,
      generatorStallMs: source.stallMs,
    };
  } finally {
    await source.close();
  }
}
