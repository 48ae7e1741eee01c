// The alerting scenario's rows of the results table, with the issue's targets.
import type { ReportRow } from '../report.ts';
import { formatInteger, formatMs } from '../report.ts';
import type { AlertingResult } from './alertingScenario.ts';
import type { LatencySummary } from './alertLatency.ts';

export const ALERTING_TARGETS = { ratePerSecond: 500, toDetectedIssueP95Ms: 100, toWebSocketP95Ms: 250 } as const;

function latency(summary: LatencySummary, what = 'alerts'): string {
  return summary.count === 0
    ? 'no samples'
    : `p50 ${formatMs(summary.p50)} / p95 ${formatMs(summary.p95)} / p99 ${formatMs(summary.p99)} (max ${formatMs(summary.max)}, ${formatInteger(summary.count)} ${what})`;
}

/**
 * The rate target: readings offered at ≥ 500/s and committed at that pace. The committed rate is measured from the
 * first commit to the last (commitRate), so a server that keeps pace scores the offered rate less the jitter of two
 * commit times (499.8/s at 500/s offered for 30 s): ≥ 99 % of the offered rate counts as keeping pace.
 */
export function keptPace(committedPerSecond: number, offeredRate: number, failed: number): boolean {
  return offeredRate >= ALERTING_TARGETS.ratePerSecond && committedPerSecond >= 0.99 * offeredRate && failed === 0;
}

export function alertingRows(result: AlertingResult | undefined, offeredRate: number): ReportRow[] {
  if (!result) {
    return [{ metric: 'Alerting scenario', value: 'not measured', target: '', result: 'FAIL' }];
  }
  const { stream, latencies } = result;
  return [
    {
      metric: `Sustained readings committed (${result.readingsPerPost > 1 ? `transaction Bundles of ${result.readingsPerPost}` : 'single POSTs'}, ${formatInteger(result.patients)} patients, ${offeredRate}/s offered)`,
      value: `${stream.committedPerSecond.toFixed(1)} obs/s from the first commit to the last (${formatInteger(stream.committed)} of ${formatInteger(stream.offered)}; ${stream.elapsedSeconds.toFixed(1)} s from the first send to the last answer; ${formatInteger(stream.failed)} failed; ${formatInteger(stream.refused)} answers 503 while alerts ran late, ${formatInteger(stream.resent)} readings resent)`,
      target: `≥ ${ALERTING_TARGETS.ratePerSecond} obs/s offered, kept pace with (committed at ≥ 99 % of it, none failed)`,
      result: keptPace(stream.committedPerSecond, offeredRate, stream.failed) ? 'PASS' : 'FAIL',
    },
    {
      metric:
        "Every reading's first send by the device → its commit (waiting at the device: the server holds readings while alerts run late, and a 503 is resent)",
      value: latency(stream.sentToCommit, 'readings'),
      target: 'context',
      result: '',
    },
    {
      metric: "Red reading's commit → its DetectedIssue's commit",
      value: latency(latencies.toDetectedIssue),
      target: `p95 ≤ ${ALERTING_TARGETS.toDetectedIssueP95Ms} ms`,
      result:
        latencies.toDetectedIssue.count > 0 && latencies.toDetectedIssue.p95 <= ALERTING_TARGETS.toDetectedIssueP95Ms
          ? 'PASS'
          : 'FAIL',
    },
    {
      metric: "Red reading's first send by the device → its DetectedIssue's commit (includes waiting after a 503)",
      value: latency(latencies.sentToDetectedIssue),
      target: 'context',
      result: '',
    },
    {
      metric: "Red reading's commit → websocket notification of its alert",
      value: latency(latencies.toWebSocket),
      target: `p95 ≤ ${ALERTING_TARGETS.toWebSocketP95Ms} ms`,
      result:
        latencies.toWebSocket.count > 0 && latencies.toWebSocket.p95 <= ALERTING_TARGETS.toWebSocketP95Ms
          ? 'PASS'
          : 'FAIL',
    },
    {
      metric: 'Alerts: red readings with exactly one alert',
      value: `${formatInteger(latencies.alerted)} of ${formatInteger(latencies.expected)} (${formatInteger(latencies.missing)} without an alert ${latencies.waitSeconds} s after the stream ended, ${formatInteger(latencies.duplicated)} duplicated); last alert found ${latencies.drainSeconds.toFixed(1)} s after the stream ended; ${formatInteger(result.websocketNotifications)} websocket notifications`,
      target: 'all, none twice',
      result: latencies.missing === 0 && latencies.duplicated === 0 ? 'PASS' : 'FAIL',
    },
    ...(result.cpu ? [cpuRow(result.cpu, stream.committed, result.servers)] : []),
    ...(result.machine ? [machineRow(result.machine, stream.committed)] : []),
  ];
}

/** Whether the cores were full while the readings streamed, and the bench's own share of them. */
function machineRow(machine: NonNullable<AlertingResult['machine']>, readings: number): ReportRow {
  const bench = `${((machine.benchSeconds * 1000) / Math.max(1, readings)).toFixed(2)} ms per reading`;
  return {
    metric: 'The whole machine during the stream (every process on every core; the bench sends, receives and listens)',
    value:
      machine.busyShare === undefined
        ? `bench ${bench}`
        : `cores ${(machine.busyShare * 100).toFixed(0)} % busy; the bench itself ${bench}`,
    target: 'context',
    result: '',
  };
}

/** What each reading cost, whatever else the machine was doing: the measure to compare runs and changes by. */
function cpuRow(cpu: NonNullable<AlertingResult['cpu']>, readings: number, servers: number): ReportRow {
  const perReading = (seconds: number): string => `${((seconds * 1000) / Math.max(1, readings)).toFixed(2)} ms`;
  const total = cpu.serverSeconds + (cpu.postgresSeconds ?? 0);
  const cores = total / Math.max(0.001, cpu.seconds);
  return {
    metric: `CPU per reading, from the stream's start until its last alert (${servers > 1 ? `${servers} server processes` : 'server process'} incl. bot threads; ${servers > 1 ? 'their' : 'its'} PostgreSQL backends)`,
    value: `server ${perReading(cpu.serverSeconds)}${cpu.postgresSeconds !== undefined ? `, PostgreSQL ${perReading(cpu.postgresSeconds)}` : ''} (${cores.toFixed(2)} cores busy on average over ${cpu.seconds.toFixed(0)} s)`,
    target: 'context',
    result: '',
  };
}
