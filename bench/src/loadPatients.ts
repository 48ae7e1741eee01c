// Creates the monitored patients on the server through transaction bundles and returns their server ids.
import type { FhirClient } from './fhirClient.ts';
import type { MonitoredPatient } from './generateObservations.ts';
import { benchPatients } from './generatePatients.ts';
import { sendTransactions, type OutgoingBundle, type SendSummary } from './sendTransactions.ts';
import { transactionBundle } from './transactionBundle.ts';

export interface LoadedPatients {
  patients: MonitoredPatient[];
  summary: SendSummary;
}

export async function loadPatients(
  client: FhirClient,
  count: number,
  bundleSize: number,
  seed: number,
  inFlight: number
): Promise<LoadedPatients> {
  const all = benchPatients(count, seed);
  const bundles: OutgoingBundle[] = [];
  for (let first = 0; first < all.length; first += bundleSize) {
    const slice = all.slice(first, first + bundleSize);
    bundles.push({ body: JSON.stringify(transactionBundle(slice)), entries: slice.length, firstIndex: first });
  }
  const ids: (string | undefined)[] = new Array(count).fill(undefined);
  let cursor = 0;
  const summary = await sendTransactions(client, async () => bundles[cursor++], {
    label: 'patients',
    inFlight,
    totalEntries: count,
    progressStep: 0,
    maxConsecutiveFailures: 3,
    onOutcome: (bundle, outcome) => {
      if (!outcome.error) {
        outcome.references.forEach((reference, offset) => {
          ids[(bundle.firstIndex ?? 0) + offset] = reference.slice(reference.indexOf('/') + 1);
        });
      }
    },
  });
  if (summary.failedBundles > 0) {
    throw new Error(`creating patients failed (${summary.failedBundles} bundles): ${summary.errors.join(' | ')}`);
  }
  return { patients: ids.map((id, index) => ({ index, id: id as string })), summary };
}
