// Sends transaction bundles with a bounded number in flight, counting every created entry and every failure.
import type { FhirClient, TransactionOutcome } from './fhirClient.ts';

export interface OutgoingBundle {
  body: string;
  entries: number;
  /** Position of the bundle's first entry in the whole load (lets callers map responses back). */
  firstIndex?: number;
}

export interface SendOptions {
  label: string;
  inFlight: number;
  totalEntries: number;
  /** Print a progress line each time this fraction of totalEntries more has been answered (0 = never). */
  progressStep: number;
  /** Stop early after this many failed bundles in a row: the server is down or rejecting everything. */
  maxConsecutiveFailures: number;
  onOutcome?: (bundle: OutgoingBundle, outcome: TransactionOutcome) => void;
}

export interface SendSummary {
  bundles: number;
  created: number;
  failedBundles: number;
  /** Entries sent in bundles that were not fully created. */
  failedEntries: number;
  seconds: number;
  /** The first few distinct error messages, for the report. */
  errors: string[];
  aborted: boolean;
}

const MAX_ERRORS_KEPT = 5;

export async function sendTransactions(
  client: FhirClient,
  nextBundle: () => Promise<OutgoingBundle | undefined>,
  options: SendOptions
): Promise<SendSummary> {
  const summary: SendSummary = {
    bundles: 0,
    created: 0,
    failedBundles: 0,
    failedEntries: 0,
    seconds: 0,
    errors: [],
    aborted: false,
  };
  const started = performance.now();
  let consecutiveFailures = 0;
  let nextProgress = options.progressStep;

  const report = (): void => {
    const answered = summary.created + summary.failedEntries;
    if (options.progressStep <= 0 || options.totalEntries === 0) {
      return;
    }
    while (answered / options.totalEntries >= nextProgress - 1e-9 && nextProgress <= 1 + 1e-9) {
      const seconds = (performance.now() - started) / 1000;
      const rate = Math.round(summary.created / Math.max(seconds, 1e-3)).toLocaleString('en-GB');
      console.log(
        `[${options.label}] ${answered.toLocaleString('en-GB')} / ${options.totalEntries.toLocaleString('en-GB')} ` +
          `(${Math.round(nextProgress * 100)} %) in ${seconds.toFixed(1)} s, ${rate}/s, ${summary.failedBundles} failed bundles`
      );
      nextProgress += options.progressStep;
    }
  };

  const sender = async (): Promise<void> => {
    while (!summary.aborted) {
      const bundle = await nextBundle();
      if (!bundle) {
        return;
      }
      const outcome = await client.postTransaction(bundle.body, bundle.entries);
      summary.bundles++;
      if (outcome.error) {
        summary.failedBundles++;
        summary.failedEntries += bundle.entries;
        consecutiveFailures++;
        if (summary.errors.length < MAX_ERRORS_KEPT && !summary.errors.includes(outcome.error)) {
          summary.errors.push(outcome.error);
        }
        if (consecutiveFailures >= options.maxConsecutiveFailures) {
          summary.aborted = true;
        }
      } else {
        summary.created += outcome.created;
        consecutiveFailures = 0;
      }
      options.onOutcome?.(bundle, outcome);
      report();
    }
  };

  await Promise.all(Array.from({ length: Math.max(1, options.inFlight) }, sender));
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}
