// The missed-readings scenario's rows of the results table: each run's time against the bot time limit; correctness.
import { formatInteger, type ReportRow } from '../report.ts';
import { BOT_TIME_LIMIT_MS, type MissedReadingsResult, type ScanRun } from './missedReadingsScenario.ts';

function outcomes(run: ScanRun): string {
  const parts = Object.entries(run.outcomes).map(([outcome, count]) => `${formatInteger(count)} ${outcome}`);
  return parts.length > 0 ? parts.join(', ') : 'no alerts';
}

function cpu(run: ScanRun): string {
  if (!run.cpu) {
    return '';
  }
  const postgres = run.cpu.postgresSeconds !== undefined ? ` + PostgreSQL ${run.cpu.postgresSeconds.toFixed(1)} s` : '';
  return `; CPU: server ${run.cpu.serverSeconds.toFixed(1)} s${postgres}`;
}

/** The scan's longest single run: the scheduled run, or the longest it queued (undefined: not known). */
function longestRun(run: ScanRun): number | undefined {
  if (run.queuedRuns === 0) {
    return run.scheduledMs;
  }
  return run.longestQueuedMs === undefined ? undefined : Math.max(run.scheduledMs, run.longestQueuedMs);
}

function runs(run: ScanRun): string {
  if (run.queuedRuns === 0) {
    return 'one run';
  }
  const longest = run.longestQueuedMs === undefined ? 'not known' : `${(run.longestQueuedMs / 1000).toFixed(1)} s`;
  return `scheduled run ${(run.scheduledMs / 1000).toFixed(1)} s + ${run.queuedRuns} queued runs, the longest ${longest}`;
}

function scanRow(label: string, run: ScanRun, result: MissedReadingsResult): ReportRow {
  const longest = longestRun(run);
  return {
    metric: `${label} (${formatInteger(result.patients)} CarePlans, ${formatInteger(run.schedules)} scheduled readings)`,
    value: run.error
      ? `failed after ${(run.ms / 1000).toFixed(1)} s: ${run.error}`
      : `${(run.ms / 1000).toFixed(1)} s in all (${runs(run)})${cpu(run)}; ${formatInteger(run.overdue)} overdue; alerts: ${outcomes(run)}`,
    target: `every run < ${BOT_TIME_LIMIT_MS / 1000} s (the bot time limit)`,
    result: !run.error && longest !== undefined && longest < BOT_TIME_LIMIT_MS ? 'PASS' : 'FAIL',
  };
}

export function missedReadingsRows(result: MissedReadingsResult | undefined): ReportRow[] {
  if (!result) {
    return [{ metric: 'Missed-readings scenario', value: 'not measured', target: '', result: 'FAIL' }];
  }
  const { first, expectedOverdue } = result;
  const correct =
    !first.error && first.overdue === expectedOverdue && (first.outcomes.created ?? 0) === expectedOverdue;
  return [
    scanRow('First scan: every overdue reading opens an alert', first, result),
    scanRow('Second scan: the same alerts already open (steady state, every 15 min)', result.second, result),
    {
      metric: 'Overdue readings found by the first scan',
      value: `${formatInteger(first.overdue)} found, ${formatInteger(first.outcomes.created ?? 0)} alerts opened; expected ${formatInteger(expectedOverdue)} (4 kinds × ${formatInteger(result.patientsWithoutReadings)} patients without readings; ${formatInteger(result.readingsLoaded)} readings of the others)`,
      target: 'exactly the expected',
      result: correct ? 'PASS' : 'FAIL',
    },
  ];
}
