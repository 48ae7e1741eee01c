// `npm run bench -- --scenario alerting`: 10,000 enrolled patients' devices post readings; how fast do alerts follow?
import path from 'node:path';
import type { BenchDatabase } from '../benchDatabase.ts';
import { SCHEDULED_BUILT_IN_BOTS, stopBotSchedule } from '../botSchedules.ts';
import { startFhirServer, stopChild, type RunningChild } from '../childProcesses.ts';
import type { Cleanup } from '../cleanup.ts';
import { FhirClient } from '../fhirClient.ts';
import { vacuumAnalyze } from '../vacuumAnalyze.ts';
import { measureMachineCpu, type MachineCpu } from '../machineCpu.ts';
import { measureServerCpu, type ServerCpu } from './serverCpu.ts';
import { loadPatients } from '../loadPatients.ts';
import type { BenchOptions } from '../options.ts';
import {
  measureAlertLatency,
  summarise,
  waitForWarmupAlerts,
  type AlertLatencies,
  type LatencySummary,
} from './alertLatency.ts';
import { listenForAlerts } from './alertWebSocket.ts';
import { enrolPatients } from './enrolPatients.ts';
import { commitRate, streamReadings, type StreamResult } from './streamReadings.ts';

export interface AlertingResult {
  patients: number;
  /** Server instances the readings were spread over. */
  /** Readings per POST: 1 alone, more in transaction Bundles (gateways). */
  readingsPerPost: number;
  servers: number;
  stream: Omit<StreamResult, 'readings'> & {
    committed: number;
    /** commitRate(): from the first commit to the last, by the server's commit times. */
    committedPerSecond: number;
    /** Every reading's first send → its commit: how long devices waited (held by the server, resent after a 503). */
    sentToCommit: LatencySummary;
  };
  latencies: AlertLatencies;
  websocketNotifications: number;
  /** CPU the server and its PostgreSQL backends spent on the measured readings, from the stream's start until their alerts. */
  cpu?: ServerCpu;
  /** The whole machine and the bench process over the stream (start to last answer). */
  machine?: MachineCpu;
}

const ADMIN_CLIENT = { clientId: 'rpm-admin', clientSecret: 'rpm-admin-secret' };
const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/**
 * The server instances, with the built-in alert bots. Several run as behind a load balancer: one public base URL (the
 * first's, so every instance accepts the tokens any of them issues) and one Redis (REDIS_URL) that carries websocket
 * notifications between them. The job queue is the shared database's.
 */
async function startServers(
  database: BenchDatabase,
  count: number,
  resultsDir: string,
  cleanup: Cleanup
): Promise<RunningChild[]> {
  const shared: NodeJS.ProcessEnv = { RPM_BUILT_IN_BOTS: 'true' };
  if (count > 1) {
    shared.REDIS_URL = process.env.REDIS_URL || DEFAULT_REDIS_URL;
  }
  console.log(
    count > 1
      ? `[setup] starting ${count} FHIR server instances with the built-in alert bots (Redis ${shared.REDIS_URL})…`
      : '[setup] starting the FHIR server with the built-in alert bots…'
  );
  const servers: RunningChild[] = [];
  for (let i = 0; i < count; i++) {
    const log = path.join(resultsDir, i === 0 ? 'server.log' : `server-${i + 1}.log`);
    const env = i === 0 ? shared : { ...shared, BASE_URL: publicBaseOf(servers[0]) };
    const server = await startFhirServer(database.url, log, 120_000, env);
    cleanup.add(`stop FHIR server ${i + 1}`, () => stopChild(server));
    servers.push(server);
  }
  return servers;
}

/** The base URL the first instance gives itself without BASE_URL (server/src/config.ts): localhost and its port. */
function publicBaseOf(server: RunningChild): string {
  return `http://localhost:${new URL(server.origin).port}`;
}

export async function runAlertingScenario(
  database: BenchDatabase,
  options: BenchOptions,
  resultsDir: string,
  cleanup: Cleanup
): Promise<AlertingResult> {
  const servers = await startServers(database, options.alertServers, resultsDir, cleanup);
  const server = servers[0];
  const client = new FhirClient(server.origin, ADMIN_CLIENT);
  await client.token();
  const fhirBaseUrls = servers.map((s) => `${s.origin}/fhir/R4`);
  // The scheduled bots would scan whenever their cron fell inside the stream (missed readings every 15 minutes, over
  // patients the bench enrolled without their scheduled readings: thousands of new alerts), so a run's numbers would
  // depend on the time of day. Only the readings' own alert pipeline is measured.
  for (const bot of SCHEDULED_BUILT_IN_BOTS) {
    await stopBotSchedule(client, bot);
  }
  console.log(`[alerting] scheduled bots taken off their schedules: ${SCHEDULED_BUILT_IN_BOTS.join(', ')}`);

  console.log(`[alerting] creating ${options.alertPatients.toLocaleString('en-GB')} patients and their CarePlans…`);
  const { patients } = await loadPatients(
    client,
    options.alertPatients,
    options.bundleSize,
    options.seed,
    options.inFlight
  );
  await enrolPatients(client, patients, options.bundleSize, options.inFlight);
  // Enrolment itself queued work (a resource-changed job per bundle): let it finish before measuring.
  await new Promise((r) => setTimeout(r, 5_000));

  // Warm-up on the first tenth of the patients (bot workers start, code loads, tokens are minted, caches fill); not
  // measured. The measured stream uses the other patients, so its red readings each open a new alert.
  const warmupPatients = patients.slice(0, Math.floor(patients.length / 10));
  const measuredPatients = patients.slice(warmupPatients.length);
  if (options.alertWarmup > 0) {
    console.log(`[alerting] warm-up: ${options.alertWarmup} s at ${options.alertRate}/s (not measured)…`);
    const warmup = await streamReadings(client, warmupPatients, {
      rate: options.alertRate,
      seconds: options.alertWarmup,
      redShare: options.redPerMille / 1000,
      maxInFlight: options.alertInFlight,
      readingsPerPost: options.alertReadingsPerPost,
      fhirBaseUrls,
    });
    await waitForWarmupAlerts(client, warmup.readings);
  }
  // A running system has planner statistics of its Observations (autovacuum); a fresh bench database has none until
  // autovacuum's first pass, and the rules' searches would be planned as if there were no readings at all.
  console.log(`[alerting] VACUUM (ANALYZE) took ${(await vacuumAnalyze(database.url)).toFixed(1)} s`);

  const listener = await listenForAlerts(client);
  const cpu = await measureServerCpu(
    database.url,
    servers.map((s) => s.process.pid)
  );
  cleanup.add('close websocket', async () => listener.close());
  console.log(
    `[alerting] streaming ${options.alertRate} readings/s for ${options.alertSeconds} s (${options.redPerMille / 10} % red), at most ${options.alertInFlight} in flight…`
  );
  const machine = measureMachineCpu();
  const stream = await streamReadings(client, measuredPatients, {
    rate: options.alertRate,
    seconds: options.alertSeconds,
    redShare: options.redPerMille / 1000,
    maxInFlight: options.alertInFlight,
    readingsPerPost: options.alertReadingsPerPost,
    fhirBaseUrls,
  });
  const machineUsed = machine.stop();
  console.log(
    `[alerting] ${stream.readings.length.toLocaleString('en-GB')} readings committed in ${stream.elapsedSeconds.toFixed(1)} s; waiting for their alerts…`
  );
  const latencies = await measureAlertLatency(client, stream.readings, listener, 180);
  const used = await cpu.stop();
  listener.close();
  const { readings, ...rest } = stream;
  return {
    patients: measuredPatients.length,
    servers: servers.length,
    readingsPerPost: options.alertReadingsPerPost,
    stream: {
      ...rest,
      committed: readings.length,
      committedPerSecond: commitRate(readings),
      sentToCommit: summarise(readings.map((r) => r.committedAtMs - r.firstSentAtMs)),
    },
    latencies,
    websocketNotifications: listener.notifications,
    cpu: used,
    machine: machineUsed,
  };
}
