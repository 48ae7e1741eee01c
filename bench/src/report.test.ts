// The results table: targets, PASS/FAIL, and when a run counts as failed.
import { describe, expect, it } from 'vitest';
import type { HttpMeasurement } from './measureHttp.ts';
import { parseBenchOptions } from './options.ts';
import { renderReport, reportRows, runFailed, type BenchResults } from './report.ts';

function http(name: string, rps: number, p95: number, non2xx = 0): HttpMeasurement {
  return {
    name,
    connections: 10,
    seconds: 10,
    completed: rps * 10,
    requestsPerSecond: rps,
    p50: p95 / 2,
    p95,
    p99: p95 * 1.5,
    non2xx,
    errors: 0,
    timeouts: 0,
    statusCodes: { '200': rps * 10 },
  };
}

function goodRun(): BenchResults {
  return {
    startedAt: '2025-06-01T12:00:00Z',
    options: parseBenchOptions(['--patients', '50', '--per-patient', '200']),
    observationLoad: {
      summary: {
        bundles: 100,
        created: 10_000,
        failedBundles: 0,
        failedEntries: 0,
        seconds: 2.5,
        errors: [],
        aborted: false,
      },
      observationsPerSecond: 4_000,
      generatorStallMs: 0,
    },
    raw: { rows: 10_000, rowsPerTransaction: 100, connections: 4, seconds: 0.2, rowsPerSecond: 50_000 },
    readCheck: { ok: true, detail: 'ok' },
    searchCheck: { ok: true, detail: 'ok' },
    readLatency: http('read', 3_000, 4.2),
    searchLatency: http('search', 800, 20),
    helloLatency: http('hello', 9_000, 1.5),
    readThroughput: http('read', 4_500, 14),
    searchThroughput: http('search', 900, 60),
    helloThroughput: http('hello', 10_000, 6),
    errors: [],
    idleWaits: [],
  };
}

describe('report', () => {
  it('passes every target of a good run and does not fail the run', () => {
    const results = goodRun();
    const verdicts = reportRows(results).filter((row) => row.result !== '');
    expect(verdicts.every((row) => row.result === 'PASS')).toBe(true);
    expect(runFailed(results)).toBe(false);
    const text = renderReport(results);
    expect(text).toContain('50 patients × 200 vital-sign Observations = 10,000 Observations');
    expect(text).toContain('45.0 % of ceiling');
    expect(text).toContain('| Metric | Value | Target | Result |');
  });

  it('fails missed targets without failing the run', () => {
    const results = goodRun();
    results.readLatency = http('read', 3_000, 6.1);
    results.observationLoad!.observationsPerSecond = 2_000;
    const failed = reportRows(results)
      .filter((row) => row.result === 'FAIL')
      .map((row) => row.metric);
    expect(failed).toHaveLength(2);
    expect(runFailed(results)).toBe(false);
  });

  it('fails the run on load failures, non-2xx responses, a wrong search or a fatal error', () => {
    const withLoadFailure = goodRun();
    withLoadFailure.observationLoad!.summary.failedBundles = 1;
    expect(runFailed(withLoadFailure)).toBe(true);
    const withNon2xx = goodRun();
    withNon2xx.searchLatency = http('search', 800, 20, 5);
    expect(runFailed(withNon2xx)).toBe(true);
    const wrong = goodRun();
    wrong.searchCheck = { ok: false, detail: 'unsorted' };
    expect(runFailed(wrong)).toBe(true);
    expect(
      runFailed({ startedAt: 'x', options: goodRun().options, errors: ['server did not start'], idleWaits: [] })
    ).toBe(true);
    expect(
      renderReport({ startedAt: 'x', options: goodRun().options, errors: ['server did not start'], idleWaits: [] })
    ).toContain('not measured');
  });
});

describe('audit rows', () => {
  const auditWrite = {
    events: 100_000,
    written: 100_000,
    dropped: 0,
    failedFlushes: 0,
    seconds: 16,
    eventsPerSecond: 6_250,
    maxBatch: 500,
    eventLoopDelayP99Ms: 4,
    eventLoopDelayMaxMs: 9,
    processCpuMicrosPerEvent: 60,
  };

  it('the audit scenario reports only the write rate, against 5,000 events/s with none lost', () => {
    const options = parseBenchOptions(['--scenario', 'audit', '--audit-events', '100000']);
    const results: BenchResults = { startedAt: 'x', options, auditWrite, errors: [], idleWaits: [] };
    expect(reportRows(results).map((row) => row.result)).toEqual(['PASS']);
    expect(runFailed(results)).toBe(false);
    expect(renderReport(results)).toContain('6,250 events/s');
    expect(runFailed({ ...results, auditWrite: { ...auditWrite, written: 99_999 } })).toBe(true);
    expect(reportRows({ ...results, auditWrite: { ...auditWrite, eventsPerSecond: 4_000 } })[0].result).toBe('FAIL');
    expect(runFailed({ ...results, auditWrite: undefined })).toBe(true);
  });

  it('a full run adds the audit rows when they were measured', () => {
    const results = goodRun();
    results.auditWrite = auditWrite;
    results.readThroughputAudit = { events: 600, auditedReads: 60_000, requests: 45_000, seconds: 13 };
    const rows = reportRows(results);
    expect(rows.slice(-2).map((row) => row.result)).toEqual(['PASS', 'PASS']);
    expect(rows.at(-1)?.value).toContain('60,000 reads recorded in 600 AuditEvents for 45,000 measured requests');
    expect(runFailed(results)).toBe(false);
  });
});

describe('parseBenchOptions', () => {
  it('defaults to the issue sizes and rejects nonsense', () => {
    expect(parseBenchOptions([])).toMatchObject({
      patients: 1000,
      perPatient: 1000,
      bundleSize: 100,
      latencyConnections: 10,
      throughputConnections: 50,
    });
    expect(() => parseBenchOptions(['--patients', '0'])).toThrow(/--patients/);
    expect(() => parseBenchOptions(['--nope'])).toThrow();
    expect(parseBenchOptions([]).vacuum).toBe(true);
    expect(parseBenchOptions(['--no-vacuum', '--keep'])).toMatchObject({ vacuum: false, keep: true });
    expect(parseBenchOptions([])).toMatchObject({ scenario: 'full', auditEvents: 100_000 });
    expect(() => parseBenchOptions(['--scenario', 'nope'])).toThrow(/--scenario/);
    expect(() => parseBenchOptions(['--scenario', 'audit', '--audit-events', '0'])).toThrow(/--audit-events/);
  });
});
