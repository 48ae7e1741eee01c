// Command-line options of `npm run bench`, with the defaults (1,000 patients × 1,000 Observations).
import { parseArgs } from 'node:util';

/** `full`: the whole run (with the audit write rate at the end); `audit`: only the audit write rate. */
export type BenchScenario = 'full' | 'audit' | 'alerting' | 'missed-readings' | 'worklist';

export interface BenchOptions {
  scenario: BenchScenario;
  patients: number;
  perPatient: number;
  bundleSize: number;
  /** Transaction bundles in flight at once while loading. */
  inFlight: number;
  /** Connections for the p50/p95 latency measurements. */
  latencyConnections: number;
  /** Connections for the throughput measurements (and the hello-world ceiling). */
  throughputConnections: number;
  /** Seconds measured per HTTP measurement, after `warmup` seconds not measured. */
  duration: number;
  warmup: number;
  /** Rows for the raw PostgreSQL insert rate (a subset of the load, to keep the run short). */
  rawRows: number;
  rawConnections: number;
  /** AuditEvents recorded through createAuditLog in the audit scenario (0 skips it in the full run). */
  auditEvents: number;
  seed: number;
  /** Alerting scenario: enrolled patients, readings per second offered, for how long, red readings per 1,000. */
  alertPatients: number;
  alertRate: number;
  alertSeconds: number;
  redPerMille: number;
  /** Alerting scenario: most reading POSTs outstanding at once. */
  alertInFlight: number;
  /** Alerting scenario: readings per POST (1: each alone, as devices post; N: transaction Bundles, as gateways post). */
  alertReadingsPerPost: number;
  /** Server instances for the alerting scenario (behind one base URL, sharing Redis). */
  alertServers: number;
  /** Alerting scenario: seconds of unmeasured readings first (on a tenth of the patients). */
  alertWarmup: number;
  /** Missed-readings scenario: patients per 1,000 who took none of their scheduled readings. */
  missedPerMille: number;
  /** VACUUM (ANALYZE) after the load, before measuring reads (--no-vacuum to measure with cold statistics). */
  vacuum: boolean;
  /** Keep the database (and print its URL) instead of dropping it. */
  keep: boolean;
  help: boolean;
}

export const USAGE = `Usage: npm run bench -- [options]

Starts the FHIR server on a fresh database, loads patients and vital-sign Observations through
transaction bundles, measures ingestion, raw PostgreSQL inserts, read/search latency and throughput,
and prints one table (also written to bench/results/latest.md).

  --patients N              patients to create (default 1000)
  --per-patient N           Observations per patient (default 1000)
  --bundle-size N           entries per transaction bundle (default 100)
  --in-flight N             bundles in flight while loading (default 6)
  --latency-connections N   connections for p50/p95 (default 10)
  --throughput-connections N  connections for throughput and the hello-world ceiling (default 50)
  --duration S              seconds per HTTP measurement (default 10)
  --warmup S                warm-up seconds before each HTTP measurement (default 3)
  --raw-rows N              rows for the raw PostgreSQL insert rate (default 100000, capped at the load size)
  --raw-connections N       connections for the raw insert rate (default 4)
  --audit-events N          AuditEvents written through the audit log for its write rate (default 100000; 0 skips it)
  --scenario NAME           full (default): everything above, then the audit write rate;
                            audit: only the audit log's write rate, on a fresh migrated database (no server);
                            alerting: the alert pipeline: enrolled patients' devices post single readings at
                            a fixed rate; latency from each red reading's commit to its alert and to the
                            websocket notification
                            missed-readings: --alert-patients enrolled patients, most with today's readings;
                            how long the scheduled missed-readings scan takes (first run and steady state)
                            worklist: the clinician app's worklist with 500 patients × 30 days of readings in
                            Chromium (e2e/worklistScale.browser.test.ts with RPM_E2E_BENCH=1)
  --alert-patients N        alerting, missed-readings: patients enrolled in the heart-failure programme (default 10000)
  --alert-rate N            alerting: readings per second offered (default 500)
  --alert-seconds S         alerting: how long the readings stream (default 60)
  --red-per-mille N         alerting: red SpO2 readings per 1,000, each for a different patient (default 50)
  --alert-in-flight N       alerting: most reading POSTs outstanding at once (default 64)
  --alert-warmup S          alerting: unmeasured seconds of readings first, on a tenth of the patients (default 10)
  --alert-servers N         alerting: FHIR server instances on the one database, readings spread over them as a load
                            balancer would (default 1; more need Redis: REDIS_URL, default redis://127.0.0.1:6379)
  --missed-per-mille N      missed-readings: patients per 1,000 who took none of their readings (default 100)
  --seed N                  seed of the synthetic data (default 1)
  --no-vacuum               skip VACUUM (ANALYZE) between the load and the read measurements
  --keep                    keep the database instead of dropping it
  -h, --help                show this help

Environment: BENCH_DATABASE_SERVER_URL (default postgres://postgres@127.0.0.1:5432/postgres); when it
is unreachable an embedded PostgreSQL is started instead.`;

const INTEGER_OPTIONS = {
  patients: ['patients', 1000],
  perPatient: ['per-patient', 1000],
  bundleSize: ['bundle-size', 100],
  inFlight: ['in-flight', 6],
  latencyConnections: ['latency-connections', 10],
  throughputConnections: ['throughput-connections', 50],
  duration: ['duration', 10],
  warmup: ['warmup', 3],
  rawRows: ['raw-rows', 100_000],
  rawConnections: ['raw-connections', 4],
  auditEvents: ['audit-events', 100_000],
  seed: ['seed', 1],
  alertPatients: ['alert-patients', 10_000],
  alertRate: ['alert-rate', 500],
  alertSeconds: ['alert-seconds', 60],
  redPerMille: ['red-per-mille', 50],
  alertInFlight: ['alert-in-flight', 64],
  alertReadingsPerPost: ['alert-readings-per-post', 1],
  alertWarmup: ['alert-warmup', 10],
  alertServers: ['alert-servers', 1],
  missedPerMille: ['missed-per-mille', 100],
} as const;

type IntegerOption = keyof typeof INTEGER_OPTIONS;

/** Parses argv (without node and script); throws with a readable message on bad input. */
export function parseBenchOptions(argv: string[]): BenchOptions {
  const optionConfig: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    keep: { type: 'boolean' },
    scenario: { type: 'string' },
    'no-vacuum': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  };
  for (const [flag] of Object.values(INTEGER_OPTIONS)) {
    optionConfig[flag] = { type: 'string' };
  }
  const { values } = parseArgs({ args: argv, options: optionConfig, strict: true, allowPositionals: false });
  const integers = {} as Record<IntegerOption, number>;
  for (const [key, [flag, fallback]] of Object.entries(INTEGER_OPTIONS) as [
    IntegerOption,
    readonly [string, number],
  ][]) {
    const raw = values[flag];
    if (raw === undefined) {
      integers[key] = fallback;
      continue;
    }
    const value = Number(raw);
    const minimum =
      key === 'warmup' || key === 'rawRows' || key === 'auditEvents' || key === 'redPerMille' || key === 'alertWarmup'
        ? 0
        : 1;
    if (!Number.isInteger(value) || value < minimum) {
      throw new Error(`--${flag} must be an integer >= ${minimum}, got "${String(raw)}"`);
    }
    integers[key] = value;
  }
  const scenario = values.scenario ?? 'full';
  if (
    scenario !== 'full' &&
    scenario !== 'audit' &&
    scenario !== 'alerting' &&
    scenario !== 'missed-readings' &&
    scenario !== 'worklist'
  ) {
    throw new Error(`--scenario must be full, audit, alerting, missed-readings or worklist, got "${String(scenario)}"`);
  }
  if (scenario === 'audit' && integers.auditEvents === 0) {
    throw new Error('--scenario audit needs --audit-events >= 1');
  }
  return {
    scenario,
    ...integers,
    vacuum: values['no-vacuum'] !== true,
    keep: values.keep === true,
    help: values.help === true,
  };
}
