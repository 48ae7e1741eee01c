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
  });
});
