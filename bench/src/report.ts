// Turns one run's measurements into the single results table, with targets and PASS/FAIL.
import type { AlertingResult } from './alerting/alertingScenario.ts';
import { alertingRows } from './alerting/alertingReport.ts';
import { missedReadingsRows } from './missedReadings/missedReadingsReport.ts';
import type { MissedReadingsResult } from './missedReadings/missedReadingsScenario.ts';
import type { AuditWriteResult } from './auditWriteRate.ts';
import type { CorrectnessCheck } from './checkReadAndSearch.ts';
import type { MachineInfo } from './machine.ts';
import { describeMachineSpeed } from './machineSpeed.ts';
import type { HttpMeasurement } from './measureHttp.ts';
import type { BenchOptions } from './options.ts';
import type { RawInsertResult } from './rawInsertRate.ts';
import type { SendSummary } from './sendTransactions.ts';

export const TARGETS = {
  ingestionPerSecond: 3_000,
  readP95Ms: 5,
  searchP95Ms: 25,
  readShareOfCeiling: 0.4,
  auditEventsPerSecond: 5_000,
} as const;

/** AuditEvents the server wrote while the read-by-id throughput was measured (every request is audited). */
export interface AuditDuringReads {
  /** AuditEvent rows added between just before the warm-up and after the server went idle again. */
  events: number;
  /** Observation reads recorded in them (entities): one caller's reads in one batch share an AuditEvent. */
  auditedReads: number;
  /** Requests completed in the measured period (the warm-up's requests are audited too, so events is larger). */
  requests: number;
  /** Warm-up plus measured seconds. */
  seconds: number;
}

export interface BenchResults {
  startedAt: string;
  options: BenchOptions;
  machine?: MachineInfo;
  database?: string;
  serverLog?: string;
  observationLoad?: { summary: SendSummary; observationsPerSecond: number; generatorStallMs: number };
  raw?: RawInsertResult;
  readCheck?: CorrectnessCheck;
  searchCheck?: CorrectnessCheck;
  readLatency?: HttpMeasurement;
  searchLatency?: HttpMeasurement;
  helloLatency?: HttpMeasurement;
  readThroughput?: HttpMeasurement;
  searchThroughput?: HttpMeasurement;
  helloThroughput?: HttpMeasurement;
  /** Alerting scenario: the alert pipeline under a stream of device readings. */
  alerting?: AlertingResult;
  missedReadings?: MissedReadingsResult;
  /** Audit scenario: the audit log's sustained write rate. */
  auditWrite?: AuditWriteResult;
  /** The audit written by the server during the read-by-id throughput measurement. */
  readThroughputAudit?: AuditDuringReads;
  /** 1-minute load average when the measurements ended. */
  loadAverageAtEnd?: number;
  /** Seconds VACUUM (ANALYZE) took after the load (undefined when skipped). */
  vacuumSeconds?: number;
  /** Waits for the server to go idle before each HTTP measurement. */
  idleWaits: { before: string; seconds: number; idle: boolean }[];
  /** Errors that stopped or invalidated the run. */
  errors: string[];
}

export type Verdict = 'PASS' | 'FAIL' | '';

export interface ReportRow {
  metric: string;
  value: string;
  target: string;
  result: Verdict;
}

const NOT_MEASURED = 'not measured';

export function formatInteger(value: number): string {
  return Math.round(value).toLocaleString('en-GB');
}

export function formatMs(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)} ms` : 'n/a';
}

function verdict(ok: boolean): Verdict {
  return ok ? 'PASS' : 'FAIL';
}

function httpFailures(measurement: HttpMeasurement): number {
  return measurement.non2xx + measurement.errors + measurement.timeouts;
}

function latencyRow(metric: string, measurement: HttpMeasurement | undefined, targetMs: number | undefined): ReportRow {
  if (!measurement) {
    return {
      metric,
      value: NOT_MEASURED,
      target: targetMs ? `p95 ≤ ${targetMs} ms` : '',
      result: targetMs ? 'FAIL' : '',
    };
  }
  if (measurement.completed === 0) {
    return {
      metric,
      value: 'no response within the measured period',
      target: targetMs ? `p95 ≤ ${targetMs} ms` : 'context',
      result: targetMs ? 'FAIL' : '',
    };
  }
  const value = `p50 ${formatMs(measurement.p50)} / p95 ${formatMs(measurement.p95)} (p99 ${formatMs(measurement.p99)}, ${formatInteger(measurement.requestsPerSecond)} req/s)`;
  if (targetMs === undefined) {
    return { metric, value, target: 'context', result: '' };
  }
  return {
    metric,
    value,
    target: `p95 ≤ ${targetMs} ms`,
    result: verdict(measurement.p95 <= targetMs && httpFailures(measurement) === 0),
  };
}

function throughputValue(measurement: HttpMeasurement | undefined): string {
  if (!measurement) {
    return NOT_MEASURED;
  }
  if (measurement.completed === 0) {
    return `0 req/s (no response within ${measurement.seconds.toFixed(0)} s)`;
  }
  return `${formatInteger(measurement.requestsPerSecond)} req/s (p95 ${formatMs(measurement.p95)})`;
}

function correctnessValue(read: CorrectnessCheck | undefined, search: CorrectnessCheck | undefined): string {
  if (!read || !search) {
    return NOT_MEASURED;
  }
  if (read.ok && search.ok) {
    return `correct (${search.detail})`;
  }
  return `WRONG: ${[read, search]
    .filter((check) => !check.ok)
    .map((check) => check.detail)
    .join('; ')}`;
}

/** The audit rows: the write rate through createAuditLog, and the audit the server kept up with under read load. */
function auditRows(results: BenchResults): ReportRow[] {
  const rows: ReportRow[] = [];
  const audit = results.auditWrite;
  if (audit || results.options.scenario === 'audit') {
    rows.push({
      metric: audit
        ? `Audit log write rate: AuditEvents through createAuditLog, batches of ${audit.maxBatch} (${formatInteger(audit.events)} events)`
        : 'Audit log write rate through createAuditLog',
      value: audit
        ? `${formatInteger(audit.eventsPerSecond)} events/s (${formatInteger(audit.written)} written in ${audit.seconds.toFixed(1)} s, ${formatInteger(audit.dropped)} dropped, ${formatInteger(audit.failedFlushes)} failed flushes; event-loop delay p99 ${formatMs(audit.eventLoopDelayP99Ms)}, max ${formatMs(audit.eventLoopDelayMaxMs)}; CPU per event: Node ${formatInteger(audit.processCpuMicrosPerEvent)} µs${audit.postgresCpuMicrosPerEvent !== undefined ? `, PostgreSQL backends ${formatInteger(audit.postgresCpuMicrosPerEvent)} µs` : ''})`
        : NOT_MEASURED,
      target: `≥ ${formatInteger(TARGETS.auditEventsPerSecond)} events/s, none lost`,
      result: verdict(
        !!audit && audit.eventsPerSecond >= TARGETS.auditEventsPerSecond && audit.written === audit.events
      ),
    });
  }
  const during = results.readThroughputAudit;
  if (during) {
    rows.push({
      metric: `Audit during read-by-id throughput (${results.options.throughputConnections} connections, incl. warm-up)`,
      value: `${formatInteger(during.auditedReads)} reads recorded in ${formatInteger(during.events)} AuditEvents for ${formatInteger(during.requests)} measured requests + warm-up`,
      target: 'every request audited',
      result: verdict(during.auditedReads >= during.requests),
    });
  }
  return rows;
}

/** The table rows, in the order of the issue. */
export function reportRows(results: BenchResults): ReportRow[] {
  const { options } = results;
  if (options.scenario === 'audit') {
    return auditRows(results);
  }
  if (options.scenario === 'alerting') {
    return alertingRows(results.alerting, options.alertRate);
  }
  if (options.scenario === 'missed-readings') {
    return missedReadingsRows(results.missedReadings);
  }
  const rows: ReportRow[] = [];
  const load = results.observationLoad;
  rows.push({
    metric: `Ingestion: Observations via transaction bundles of ${options.bundleSize} (${options.inFlight} in flight)`,
    value: load
      ? `${formatInteger(load.observationsPerSecond)} obs/s (${formatInteger(load.summary.created)} in ${load.summary.seconds.toFixed(1)} s)`
      : NOT_MEASURED,
    target: `≥ ${formatInteger(TARGETS.ingestionPerSecond)} obs/s`,
    result: verdict(
      !!load && load.observationsPerSecond >= TARGETS.ingestionPerSecond && load.summary.failedBundles === 0
    ),
  });
  rows.push({
    metric: 'Load failures (bundles not fully created)',
    value: load
      ? `${formatInteger(load.summary.failedBundles)} bundles / ${formatInteger(load.summary.failedEntries)} Observations${load.summary.aborted ? ' (load aborted)' : ''}`
      : NOT_MEASURED,
    target: '0',
    result: verdict(!!load && load.summary.failedBundles === 0),
  });
  const raw = results.raw;
  rows.push({
    metric: raw
      ? `Raw PostgreSQL insert, same JSON rows, ${raw.rowsPerTransaction} per transaction, ${raw.connections} connections (${formatInteger(raw.rows)}-row subset)`
      : 'Raw PostgreSQL insert, same JSON rows',
    value: raw ? `${formatInteger(raw.rowsPerSecond)} rows/s` : NOT_MEASURED,
    target: 'physical limit',
    result: '',
  });
  if (load && raw) {
    rows.push({
      metric: 'Ingestion as share of the raw insert rate',
      value: `${((100 * load.observationsPerSecond) / raw.rowsPerSecond).toFixed(1)} %`,
      target: 'context',
      result: '',
    });
  }
  rows.push({
    metric: 'Read/search correctness (checked before timing)',
    value: correctnessValue(results.readCheck, results.searchCheck),
    target: 'correct',
    result: verdict(!!results.readCheck?.ok && !!results.searchCheck?.ok),
  });
  rows.push(
    latencyRow(
      `Read Observation by id, ${options.latencyConnections} connections`,
      results.readLatency,
      TARGETS.readP95Ms
    )
  );
  rows.push(
    latencyRow(
      `Search: one patient's heart rate, 30 days, -date, 50/page, ${options.latencyConnections} connections`,
      results.searchLatency,
      TARGETS.searchP95Ms
    )
  );
  rows.push(
    latencyRow(`Hello world (bare express), ${options.latencyConnections} connections`, results.helloLatency, undefined)
  );
  const ceiling = results.helloThroughput?.requestsPerSecond;
  const read = results.readThroughput;
  const share = read && ceiling ? read.requestsPerSecond / ceiling : undefined;
  rows.push({
    metric: `Read by id throughput, ${options.throughputConnections} connections`,
    value: read
      ? `${throughputValue(read)}${share !== undefined ? `, ${(share * 100).toFixed(1)} % of ceiling` : ''}`
      : NOT_MEASURED,
    target: `≥ ${TARGETS.readShareOfCeiling * 100} % of hello world`,
    result: verdict(share !== undefined && share >= TARGETS.readShareOfCeiling && !!read && httpFailures(read) === 0),
  });
  rows.push({
    metric: `Search throughput, ${options.throughputConnections} connections`,
    value: throughputValue(results.searchThroughput),
    target: 'context',
    result: '',
  });
  rows.push({
    metric: `Hello world (bare express) throughput, ${options.throughputConnections} connections`,
    value: throughputValue(results.helloThroughput),
    target: 'ceiling',
    result: '',
  });
  const measured = [
    results.readLatency,
    results.searchLatency,
    results.readThroughput,
    results.searchThroughput,
    results.helloLatency,
    results.helloThroughput,
  ].filter((m): m is HttpMeasurement => m !== undefined);
  const failures = measured.reduce((sum, m) => sum + httpFailures(m), 0);
  const total = measured.reduce((sum, m) => sum + m.completed, 0);
  rows.push({
    metric: 'HTTP measurement failures (non-2xx, errors, timeouts)',
    value: measured.length ? `${formatInteger(failures)} of ${formatInteger(total)} requests` : NOT_MEASURED,
    target: '0',
    result: verdict(measured.length > 0 && failures === 0),
  });
  rows.push(...auditRows(results));
  return rows;
}

/** True when the run itself is invalid (as opposed to a target missed): exit non-zero. */
export function runFailed(results: BenchResults): boolean {
  const audit = results.auditWrite;
  const auditLost = !!audit && audit.written !== audit.events;
  if (results.options.scenario === 'audit') {
    return results.errors.length > 0 || !audit || auditLost;
  }
  if (results.options.scenario === 'missed-readings') {
    return results.errors.length > 0 || !results.missedReadings;
  }
  if (results.options.scenario === 'alerting') {
    const alerting = results.alerting;
    return (
      results.errors.length > 0 || !alerting || alerting.latencies.missing > 0 || alerting.latencies.duplicated > 0
    );
  }
  const load = results.observationLoad;
  const measured = [
    results.readLatency,
    results.searchLatency,
    results.readThroughput,
    results.searchThroughput,
    results.helloLatency,
    results.helloThroughput,
  ];
  return (
    results.errors.length > 0 ||
    !load ||
    load.summary.failedBundles > 0 ||
    !results.readCheck?.ok ||
    !results.searchCheck?.ok ||
    measured.some((m) => !m || httpFailures(m) > 0) ||
    auditLost
  );
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** Markdown: title, run parameters, machine, the table, then notes (errors, status codes). */
export function renderReport(results: BenchResults): string {
  const { options } = results;
  const total = options.patients * options.perPatient;
  const lines: string[] = [];
  lines.push(`# RPM FHIR server benchmark, ${results.startedAt}`);
  lines.push('');
  if (options.scenario === 'alerting') {
    lines.push(
      `Run: alerting scenario: ${formatInteger(options.alertPatients)} patients enrolled in the heart-failure programme; ${options.alertReadingsPerPost > 1 ? `gateways post their devices' vital-sign readings in transaction Bundles of ${options.alertReadingsPerPost} (POST /fhir/R4)` : 'their devices post single vital-sign readings (POST Observation)'} at ${options.alertRate}/s offered for ${options.alertSeconds} s, ${options.redPerMille / 10} % of them red SpO2 readings (one per patient), at most ${options.alertInFlight} in flight${options.alertServers > 1 ? `, spread in turn over ${options.alertServers} server instances (one base URL, one Redis, one database)` : ''}; the built-in alert bots on; a websocket Subscription on DetectedIssue. Commit times are the server's meta.lastUpdated; websocket times are the bench's clock (same machine).`
    );
  } else if (options.scenario === 'missed-readings') {
    lines.push(
      `Run: missed-readings scenario: ${formatInteger(options.alertPatients)} patients enrolled in the heart-failure programme (4 readings due daily at 09:00 Europe/London, 3 h grace); ${options.missedPerMille / 10} % took none since enrolment two days ago, the others all four half an hour ago. The missed-readings bot runs twice through Bot/$execute (its own token and worker thread, as on its 15-minute schedule); a caseload larger than one run is split into queued runs of the bot, which are followed to their end. Its time limit is lifted so that a slow run is measured, not cut off.`
    );
  } else if (options.scenario === 'audit') {
    lines.push(
      `Run: audit scenario only: ${formatInteger(options.auditEvents)} synthetic AuditEvents through the server's createAuditLog, in the bench process, on a fresh migrated database (no FHIR server).`
    );
  } else {
    lines.push(
      `Run: ${formatInteger(options.patients)} patients × ${formatInteger(options.perPatient)} vital-sign Observations = ${formatInteger(total)} Observations, ` +
        `transaction bundles of ${options.bundleSize}, ${options.inFlight} in flight; HTTP measurements ${options.duration} s each after ${options.warmup} s warm-up (autocannon, loopback); seed ${options.seed}.`
    );
  }
  if (results.machine) {
    const m = results.machine;
    lines.push(
      `Machine: ${m.cpus}, ${m.memory}, ${m.os}; ${m.node}; ${m.postgres}${results.database ? ` (database ${results.database})` : ''}.`
    );
    const atEnd = results.loadAverageAtEnd !== undefined ? `, after it ${results.loadAverageAtEnd.toFixed(2)}` : '';
    lines.push(
      `Load average (1 min) before the run ${m.loadAverageAtStart.toFixed(2)}${atEnd}: well above 0 before the run means other processes were sharing the cores.`
    );
    if (m.speed) {
      lines.push(describeMachineSpeed(m.speed));
    }
  }
  lines.push('');
  lines.push('| Metric | Value | Target | Result |');
  lines.push('|---|---|---|---|');
  for (const row of reportRows(results)) {
    lines.push(`| ${escapeCell(row.metric)} | ${escapeCell(row.value)} | ${escapeCell(row.target)} | ${row.result} |`);
  }
  const notes: string[] = [];
  for (const error of results.errors) {
    const [first, ...rest] = error.split('\n');
    notes.push(
      rest.length > 0
        ? `Run error: ${first}\n\n  \`\`\`\n${rest.map((line) => `  ${line}`).join('\n')}\n  \`\`\``
        : `Run error: ${first}`
    );
  }
  for (const error of results.observationLoad?.summary.errors ?? []) {
    notes.push(`Load error: ${error}`);
  }
  if (results.observationLoad) {
    notes.push(
      `Senders waited ${formatInteger(results.observationLoad.generatorStallMs)} ms in total for the Observation generator (worker thread).`
    );
  }
  if (results.vacuumSeconds !== undefined) {
    notes.push(
      `After the load the bench ran VACUUM (ANALYZE) (${results.vacuumSeconds.toFixed(1)} s) so reads are measured with planner statistics, as on a running system.`
    );
  } else if (results.observationLoad && !options.vacuum) {
    notes.push(
      'No VACUUM (ANALYZE) after the load (--no-vacuum): reads were measured with whatever statistics autovacuum had gathered.'
    );
  }
  if (results.idleWaits.length > 0) {
    const waited = results.idleWaits.reduce((sum, wait) => sum + wait.seconds, 0);
    const busy = results.idleWaits.filter((wait) => !wait.idle).map((wait) => wait.before);
    notes.push(
      `Before each HTTP measurement the bench waited for the server and database to go idle: ${waited.toFixed(1)} s in total` +
        (busy.length > 0 ? `; still busy at the time limit before: ${busy.join(', ')}` : '') +
        '.'
    );
  }
  for (const m of [
    results.readLatency,
    results.searchLatency,
    results.helloLatency,
    results.readThroughput,
    results.searchThroughput,
    results.helloThroughput,
  ]) {
    if (m && (m.non2xx > 0 || m.errors > 0 || m.timeouts > 0)) {
      notes.push(
        `${m.name} @${m.connections}: status codes ${JSON.stringify(m.statusCodes)}, ${m.errors} errors, ${m.timeouts} timeouts.`
      );
    }
  }
  if (results.serverLog) {
    notes.push(`Server output: ${results.serverLog}`);
  }
  if (notes.length > 0) {
    lines.push('');
    lines.push(...notes.map((note) => `- ${note}`));
  }
  lines.push('');
  return lines.join('\n');
}
