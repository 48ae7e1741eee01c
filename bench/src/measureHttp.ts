// Latency and throughput of one HTTP route under a fixed number of keep-alive connections, with autocannon.
import autocannon from 'autocannon';
import { percentiles, SampleRecorder } from './percentile.ts';

/** A route to measure: an origin and the request paths the connections rotate through. */
export interface HttpTarget {
  name: string;
  origin: string;
  paths: string[];
  headers?: Record<string, string>;
}

export interface HttpMeasurement {
  name: string;
  connections: number;
  /** Seconds from the first request to the last response. */
  seconds: number;
  completed: number;
  requestsPerSecond: number;
  /** Milliseconds, from every response's own timing. */
  p50: number;
  p95: number;
  p99: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** e.g. { "200": 51234 } */
  statusCodes: Record<string, number>;
}

interface Run {
  result: autocannon.Result;
  windowSeconds: number;
}

/**
 * One autocannon run. Every target (including the one-path hello world) goes through the same setupRequest,
 * which takes the next path from a counter shared by all connections: same client cost for every route, and
 * no per-connection copies of the path list (autocannon builds those before its clock starts, but counts them).
 */
function runAutocannon(
  target: HttpTarget,
  connections: number,
  seconds: number,
  recorder?: SampleRecorder
): Promise<Run> {
  let next = 0;
  const paths = target.paths;
  let startedMs = 0;
  let lastResponseMs = 0;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: target.origin,
        connections,
        duration: seconds,
        headers: target.headers,
        timeout: 30,
        requests: [{ method: 'GET', setupRequest: (request) => ({ ...request, path: paths[next++ % paths.length] }) }],
      },
      (err, result) =>
        err
          ? reject(err)
          : resolve({ result, windowSeconds: ((lastResponseMs || performance.now()) - startedMs) / 1000 })
    );
    instance.on('start', () => {
      startedMs = performance.now();
    });
    instance.on('response', (_client, _statusCode, _bytes, responseTime) => {
      lastResponseMs = performance.now();
      recorder?.add(responseTime);
    });
  });
}

/** Warms up for warmupSeconds (discarded), then measures for seconds with the given number of connections. */
export async function measureHttp(
  target: HttpTarget,
  connections: number,
  seconds: number,
  warmupSeconds: number
): Promise<HttpMeasurement> {
  if (target.paths.length === 0) {
    throw new Error(`no request paths for ${target.name}`);
  }
  if (warmupSeconds > 0) {
    await runAutocannon(target, connections, warmupSeconds);
  }
  const recorder = new SampleRecorder();
  const { result, windowSeconds } = await runAutocannon(target, connections, seconds, recorder);
  const [p50, p95, p99] = percentiles(recorder.samples(), [50, 95, 99]);
  const statusCodes: Record<string, number> = {};
  for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) {
    statusCodes[code] = (stats as { count: number }).count;
  }
  const completed = recorder.length;
  return {
    name: target.name,
    connections,
    seconds: windowSeconds,
    completed,
    requestsPerSecond: windowSeconds > 0 ? completed / windowSeconds : 0,
    p50,
    p95,
    p99,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
  };
}
