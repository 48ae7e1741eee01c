// `npm run bench -- --scenario missed-readings`: how long the scheduled missed-readings scan takes over a large caseload.
import path from 'node:path';
import type { AsyncJob, AuditEvent, Bundle, Parameters } from '@medplum/fhirtypes';
import type { BenchDatabase } from '../benchDatabase.ts';
import { stopBotSchedule } from '../botSchedules.ts';
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
const ENROLLED_DAYS_AGO = 2;
const ADMIN_CLIENT = { clientId: 'rpm-admin', clientSecret: 'rpm-admin-secret' };

/**
 * What one scan reported and how long it took: the scheduled run (through $execute) and, when it split the caseload,
 * every run it queued (their AsyncJobs' results summed).
 */
export interface ScanRun {
  /** From the $execute request until the last queued run completed. */
  ms: number;
  /** The scheduled run alone: the $execute request's time. */
  scheduledMs: number;
  /** Runs the scheduled run queued (0: it checked the caseload itself). */
  queuedRuns: number;
  /** The longest queued run, from its AuditEvent (the bot worker's own measure). */
  longestQueuedMs?: number;
  carePlans: number;
  schedules: number;
  overdue: number;
  outcomes: Record<string, number>;
  /**
   * CPU the server (bot worker included) and its PostgreSQL backends spent during the scan. The runs are sequential
   * (one request at a time), so on an otherwise idle machine the scan's time is about this; unlike the time, it
   * hardly depends on what else shares the cores.
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
  // Enrolled two days ago: whatever the hour, yesterday's 09:00 reading (due after enrolment) is past its grace, so
  // every patient without readings has all four overdue (enrolled one day ago, none is overdue from 09:00 to 12:00
  // London time, when today's first due time is still within its grace).
  await enrolPatients(client, patients, options.bundleSize, options.inFlight, ENROLLED_DAYS_AGO);

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
  await stopBotSchedule(client, MISSED_READINGS_BOT);

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

/** What a run of the bot returns: a check's report, or a split's queued runs. */
interface BotReport {
  carePlans: number;
  schedules?: number;
  overdue?: number;
  /** The alerts opened or changed (those left unchanged are only counted). */
  alerts?: { outcome: string }[];
  unchanged?: number;
  queued?: string[];
}

/**
 * One scheduled scan: the bot through $execute (the same code, token and worker pool as a scheduled run); when it
 * splits the caseload, the runs it queued are followed to the end (their status URLs, polled every 100 ms).
 */
async function scan(client: FhirClient, cpu: { stop(): Promise<ServerCpu | undefined> }): Promise<ScanRun> {
  const input: Parameters = {
    resourceType: 'Parameters',
    parameter: [{ name: 'scheduled', valueDateTime: new Date().toISOString() }],
  };
  const started = performance.now();
  const startedAt = new Date();
  const response = await fetch(`${client.fhirBaseUrl}/Bot/${MISSED_READINGS_BOT}/$execute`, {
    method: 'POST',
    headers: { authorization: await client.authorizationHeader(), 'content-type': 'application/fhir+json' },
    body: JSON.stringify(input),
    signal: AbortSignal.timeout(31 * 60_000),
  });
  const text = await response.text();
  const scheduledMs = performance.now() - started;
  const run: ScanRun = {
    ms: scheduledMs,
    scheduledMs,
    queuedRuns: 0,
    carePlans: 0,
    schedules: 0,
    overdue: 0,
    outcomes: {},
  };
  const result = response.ok ? resultOf(JSON.parse(text) as Parameters) : undefined;
  const jobs = result?.queued ? await completedJobs(client, result.queued) : [];
  run.ms = performance.now() - started;
  const used = await cpu.stop();
  if (used) {
    run.cpu = used;
  }
  if (!result) {
    return {
      ...run,
      error: response.ok ? 'no result in the $execute response' : `HTTP ${response.status}: ${text.slice(0, 300)}`,
    };
  }
  run.queuedRuns = jobs.length;
  const failed = jobs.filter((job) => job.status !== 'completed');
  if (failed.length > 0) {
    return { ...run, error: `${failed.length} of ${jobs.length} queued runs ended ${failed[0].status}` };
  }
  if (jobs.length > 0) {
    run.longestQueuedMs = await longestRun(client, jobs, startedAt);
  }
  for (const report of jobs.length > 0 ? jobs.map((job) => resultOf(job.output) as BotReport) : [result]) {
    run.carePlans += report.carePlans;
    run.schedules += report.schedules ?? 0;
    run.overdue += report.overdue ?? 0;
    report.alerts?.forEach((a) => (run.outcomes[a.outcome] = (run.outcomes[a.outcome] ?? 0) + 1));
    if (report.unchanged) {
      run.outcomes.unchanged = (run.outcomes.unchanged ?? 0) + report.unchanged;
    }
  }
  return run;
}

function resultOf(parameters: Parameters | undefined): BotReport | undefined {
  const result = parameters?.parameter?.find((p) => p.name === 'result')?.valueString;
  return result ? (JSON.parse(result) as BotReport) : undefined;
}

/**
 * The queued runs' AsyncJobs once each has ended (completed or in error), polling their status URLs
 * (`job/[id]/status`: 202 while the run waits or runs, then 200 with the AsyncJob).
 */
async function completedJobs(client: FhirClient, urls: string[]): Promise<AsyncJob[]> {
  const done = new Map<string, AsyncJob>();
  const deadline = Date.now() + 30 * 60_000;
  while (done.size < urls.length && Date.now() < deadline) {
    for (const url of urls.filter((u) => !done.has(u))) {
      // The server names itself by its BASE_URL (localhost), the bench by 127.0.0.1: only the path is the server's.
      const path = URL.canParse(url) ? /\/job\/[^/]+\/status$/.exec(new URL(url).pathname)?.[0] : undefined;
      if (!path) {
        throw new Error(`A queued run's status URL is not one: ${url}`);
      }
      const poll = await client.get(path);
      if (poll.status === 202) {
        break; // queued runs run in order: the later ones are not done either
      }
      if (poll.status !== 200) {
        throw new Error(`GET ${url} answered ${poll.status}: ${poll.text.slice(0, 300)}`);
      }
      done.set(url, poll.json as AsyncJob);
    }
    if (done.size < urls.length) {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return urls.map((u) => done.get(u) ?? ({ resourceType: 'AsyncJob', status: 'accepted' } as AsyncJob));
}

/** The longest of these queued runs, from their AuditEvents (the audit log writes them within a second or so). */
async function longestRun(client: FhirClient, jobs: AsyncJob[], since: Date): Promise<number | undefined> {
  const triggers = new Set(jobs.map((job) => `AsyncJob/${job.id}`));
  for (let attempt = 0; attempt < 50; attempt++) {
    const read = await client.get(
      `/AuditEvent?entity=Bot/${MISSED_READINGS_BOT}&date=ge${since.toISOString()}&_count=1000`
    );
    const durations = ((read.json as Bundle<AuditEvent>).entry ?? []).flatMap(({ resource }) => {
      const detail = resource?.entity?.find((e) => e.what?.reference === `Bot/${MISSED_READINGS_BOT}`)?.detail;
      const trigger = detail?.find((d) => d.type === 'trigger')?.valueString;
      const ms = detail?.find((d) => d.type === 'durationMs')?.valueString;
      return trigger && triggers.has(trigger) && ms ? [Number(ms)] : [];
    });
    if (durations.length >= triggers.size) {
      return Math.max(...durations);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return undefined;
}
