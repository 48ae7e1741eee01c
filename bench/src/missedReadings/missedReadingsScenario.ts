// `npm run bench -- --scenario missed-readings`: how long the scheduled missed-readings scan takes over a large caseload.
import path from 'node:path';
import type { Bot, Parameters } from '@medplum/fhirtypes';
import type { BenchDatabase } from '../benchDatabase.ts';
import { startFhirServer, stopChild, type RunningChild } from '../childProcesses.ts';
import type { Cleanup } from '../cleanup.ts';
import { FhirClient } from '../fhirClient.ts';
import { loadPatients } from '../loadPatients.ts';
import type { BenchOptions } from '../options.ts';
import { sendTransactions, type OutgoingBundle } from '../sendTransactions.ts';
import { vacuumAnalyze } from '../vacuumAnalyze.ts';
import { enrolPatients } from '../alerting/enrolPatients.ts';
import { measureServerCpu, type ServerCpu } from '../alerting/serverCpu.ts';
import { dailyReadings, SCHEDULED_CODES } from './scheduledReadings.ts';

/** The production time limit of one bot run (RPM_BOT_TIMEOUT_MS default): the scan must finish well inside it. */
export const BOT_TIME_LIMIT_MS = 10_000;
const MISSED_READINGS_BOT = 'rpm-missed-readings';
const ADMIN_CLIENT = { clientId: 'rpm-admin', clientSecret: 'rpm-admin-secret' };

/** What one scan reported (the bot's return value) and how long its $execute took. */
export interface ScanRun {
  ms: number;
  carePlans: number;
  schedules: number;
  overdue: number;
  outcomes: Record<string, number>;
  /**
   * CPU the server (bot worker included) and its PostgreSQL backends spent during the run. The scan is sequential
   * (one request at a time), so on an otherwise idle machine its time is about this; unlike the time, it hardly
   * depends on what else shares the cores.
   */
  cpu?: ServerCpu;
  error?: string;
}

export interface MissedReadingsResult {
  patients: number;
  patientsWithoutReadings: number;
  /** Overdue scheduled readings the data implies: every scheduled kind of every patient without readings. */
  expectedOverdue: number;
  readingsLoaded: number;
  /** First scan: every overdue reading opens an alert. Second scan: the alerts are open already (steady state). */
  first: ScanRun;
  second: ScanRun;
}

export async function runMissedReadingsScenario(
  database: BenchDatabase,
  options: BenchOptions,
  resultsDir: string,
  cleanup: Cleanup
): Promise<MissedReadingsResult> {
  const log = path.join(resultsDir, 'server.log');
  // Loading runs without the alert bots: the readings are normal, and 36,000 bot runs would only slow the set-up.
  console.log('[setup] starting the FHIR server (no bots) to load the caseload…');
  let server: RunningChild = await startFhirServer(database.url, log, 120_000);
  cleanup.add('stop FHIR server', () => stopChild(server));
  let client = new FhirClient(server.origin, ADMIN_CLIENT);
  await client.token();

  console.log(
    `[missed-readings] creating ${options.alertPatients.toLocaleString('en-GB')} patients and their CarePlans…`
  );
  const { patients } = await loadPatients(
    client,
    options.alertPatients,
    options.bundleSize,
    options.seed,
    options.inFlight
  );
  await enrolPatients(client, patients, options.bundleSize, options.inFlight);

  // Every patient but a share took all four readings half an hour ago: due times before that are met, and any due
  // time after it is still within its grace period (3 h). The others took none since enrolment: all four overdue.
  const every = Math.max(1, Math.round(1000 / Math.max(1, options.missedPerMille)));
  const takenAt = new Date(Date.now() - 30 * 60_000);
  const reporting = patients.filter((_p, index) => index % every !== 0);
  const silent = patients.length - reporting.length;
  const perBundle = Math.max(1, Math.floor(options.bundleSize / SCHEDULED_CODES.length));
  const bundles: OutgoingBundle[] = [];
  for (let first = 0; first < reporting.length; first += perBundle) {
    const readings = reporting.slice(first, first + perBundle).flatMap((p) => dailyReadings(p.id, takenAt));
    bundles.push({
      entries: readings.length,
      body: JSON.stringify({
        resourceType: 'Bundle',
        type: 'transaction',
        entry: readings.map((resource) => ({ request: { method: 'POST', url: 'Observation' }, resource })),
      }),
    });
  }
  let cursor = 0;
  const readingsLoaded = reporting.length * SCHEDULED_CODES.length;
  console.log(
    `[missed-readings] loading ${readingsLoaded.toLocaleString('en-GB')} readings (${silent} patients took none)…`
  );
  const load = await sendTransactions(client, async () => bundles[cursor++], {
    label: 'readings',
    inFlight: options.inFlight,
    totalEntries: readingsLoaded,
    progressStep: 0.25,
    maxConsecutiveFailures: 3,
  });
  if (load.failedBundles > 0) {
    throw new Error(`loading readings failed: ${load.errors.join(' | ')}`);
  }
  await stopChild(server);
  console.log(`[missed-readings] VACUUM (ANALYZE) took ${(await vacuumAnalyze(database.url)).toFixed(1)} s`);

  // The server as it runs in production, with the built-in bots; the time limit is lifted so that a scan slower than
  // the production limit is measured rather than cut off (the report compares it with BOT_TIME_LIMIT_MS).
  console.log('[setup] restarting the FHIR server with the built-in bots…');
  server = await startFhirServer(database.url, log, 120_000, {
    RPM_BUILT_IN_BOTS: 'true',
    RPM_BOT_TIMEOUT_MS: String(30 * 60_000),
  });
  client = new FhirClient(server.origin, ADMIN_CLIENT);
  await client.token();
  await stopSchedule(client);

  console.log('[missed-readings] first scan (every overdue reading opens an alert)…');
  const measure = () => measureServerCpu(database.url, [server.process.pid]);
  const first = await scan(client, await measure());
  console.log(`[missed-readings] ${(first.ms / 1000).toFixed(1)} s; second scan (alerts already open)…`);
  const second = await scan(client, await measure());
  console.log(`[missed-readings] ${(second.ms / 1000).toFixed(1)} s`);
  return {
    patients: patients.length,
    patientsWithoutReadings: silent,
    expectedOverdue: silent * SCHEDULED_CODES.length,
    readingsLoaded,
    first,
    second,
  };
}

/** Takes the bot off its 15-minute schedule, so that only the measured runs scan (a cron run would overlap one). */
async function stopSchedule(client: FhirClient): Promise<void> {
  const read = await client.get(`/Bot/${MISSED_READINGS_BOT}`);
  if (read.status !== 200) {
    throw new Error(`GET Bot/${MISSED_READINGS_BOT} answered ${read.status}: ${read.text.slice(0, 300)}`);
  }
  const { cronString: _cron, ...bot } = read.json as Bot;
  const put = await fetch(`${client.fhirBaseUrl}/Bot/${MISSED_READINGS_BOT}`, {
    method: 'PUT',
    headers: { authorization: await client.authorizationHeader(), 'content-type': 'application/fhir+json' },
    body: JSON.stringify(bot),
  });
  if (!put.ok) {
    throw new Error(`PUT Bot/${MISSED_READINGS_BOT} answered ${put.status}: ${(await put.text()).slice(0, 300)}`);
  }
}

/** One run of the bot through $execute (the same code, token and worker pool as a scheduled run). */
async function scan(client: FhirClient, cpu: { stop(): Promise<ServerCpu | undefined> }): Promise<ScanRun> {
  const input: Parameters = {
    resourceType: 'Parameters',
    parameter: [{ name: 'scheduled', valueDateTime: new Date().toISOString() }],
  };
  const started = performance.now();
  const response = await fetch(`${client.fhirBaseUrl}/Bot/${MISSED_READINGS_BOT}/$execute`, {
    method: 'POST',
    headers: { authorization: await client.authorizationHeader(), 'content-type': 'application/fhir+json' },
    body: JSON.stringify(input),
    signal: AbortSignal.timeout(31 * 60_000),
  });
  const text = await response.text();
  const ms = performance.now() - started;
  const used = await cpu.stop();
  const empty: ScanRun = { ms, carePlans: 0, schedules: 0, overdue: 0, outcomes: {}, ...(used ? { cpu: used } : {}) };
  if (!response.ok) {
    return { ...empty, error: `HTTP ${response.status}: ${text.slice(0, 300)}` };
  }
  const result = (JSON.parse(text) as Parameters).parameter?.find((p) => p.name === 'result')?.valueString;
  if (!result) {
    return { ...empty, error: 'no result in the $execute response' };
  }
  const report = JSON.parse(result) as {
    carePlans: number;
    schedules: number;
    overdue: number;
    alerts: { outcome: string }[];
  };
  const outcomes: Record<string, number> = {};
  report.alerts.forEach((a) => (outcomes[a.outcome] = (outcomes[a.outcome] ?? 0) + 1));
  return { ...empty, carePlans: report.carePlans, schedules: report.schedules, overdue: report.overdue, outcomes };
}
