// The reading stream spreads its POSTs over several server instances in turn, and a 503 is resent (maybe elsewhere).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { FhirClient } from '../fhirClient.ts';
import type { MonitoredPatient } from '../generateObservations.ts';
import { commitRate, streamReadings } from './streamReadings.ts';

/** A stand-in for one server instance: issues a token, stores readings (201), or refuses the first `refuse` (503). */
async function instance(
  refuse = 0
): Promise<{ origin: string; posts: string[]; bundles: number[]; close(): Promise<void> }> {
  const posts: string[] = [];
  /** Entries of each transaction Bundle received. */
  const bundles: number[] = [];
  let refused = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      if (req.url === '/oauth2/token') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ access_token: 'test-token', expires_in: 3600 }));
        return;
      }
      const transaction = req.url === '/fhir/R4';
      if ((req.url !== '/fhir/R4/Observation' && !transaction) || req.headers.authorization !== 'Bearer test-token') {
        res.writeHead(400).end();
        return;
      }
      if (refused < refuse) {
        refused++;
        res.writeHead(503, { 'retry-after': '0' }).end();
        return;
      }
      if (transaction) {
        // A transaction of Observation POSTs: each entry stored, answered 201 with the resource, as the server does.
        const bundle = JSON.parse(body) as { type: string; entry: { resource: { subject: { reference: string } } }[] };
        bundles.push(bundle.entry.length);
        const entry = bundle.entry.map(({ resource }) => {
          posts.push(resource.subject.reference);
          const stored = { ...resource, id: `obs-${posts.length}`, meta: { lastUpdated: new Date().toISOString() } };
          return {
            resource: stored,
            response: { status: '201 Created', location: `Observation/${stored.id}/_history/1` },
          };
        });
        res.writeHead(bundle.type === 'transaction' ? 200 : 400, { 'content-type': 'application/fhir+json' });
        res.end(JSON.stringify({ resourceType: 'Bundle', type: 'transaction-response', entry }));
        return;
      }
      const reading = JSON.parse(body) as { subject: { reference: string } };
      posts.push(reading.subject.reference);
      res.writeHead(201, { 'content-type': 'application/fhir+json' });
      res.end(
        JSON.stringify({ ...reading, id: `obs-${posts.length}`, meta: { lastUpdated: new Date().toISOString() } })
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    posts,
    bundles,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const patients: MonitoredPatient[] = Array.from({ length: 10 }, (_, i) => ({ index: i, id: `p${i}` }));
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

describe('streamReadings over several server instances', () => {
  test('readings go to each instance in turn, and every one is committed once', async () => {
    const servers = [await instance(), await instance()];
    open.push(...servers);
    const client = new FhirClient(servers[0].origin, { clientId: 'c', clientSecret: 's' });
    const result = await streamReadings(client, patients, {
      rate: 200,
      seconds: 0.1,
      redShare: 0.1,
      maxInFlight: 4,
      fhirBaseUrls: servers.map((s) => `${s.origin}/fhir/R4`),
    });
    expect(result.failed).toBe(0);
    expect(result.readings).toHaveLength(20);
    expect(servers.map((s) => s.posts.length)).toEqual([10, 10]);
  });

  test('as a gateway: every N readings in one transaction Bundle, each committed with its own id; a refused one resent whole', async () => {
    const server = await instance(1);
    open.push(server);
    const client = new FhirClient(server.origin, { clientId: 'c', clientSecret: 's' });
    const result = await streamReadings(client, patients, {
      rate: 200,
      seconds: 0.1,
      redShare: 0.1,
      maxInFlight: 4,
      readingsPerPost: 6,
    });
    expect(result.failed).toBe(0);
    expect(result.refused).toBe(1);
    expect(server.bundles).toEqual([6, 6, 6, 2]); // 20 readings: three full bundles and the rest
    expect(result.readings).toHaveLength(20);
    expect(new Set(result.readings.map((r) => r.observationId)).size).toBe(20);
    expect(result.readings.filter((r) => r.red)).toHaveLength(2);
    // A reading's first send is when it was due, before its bundle went: never after its commit.
    expect(result.readings.every((r) => r.firstSentAtMs <= r.committedAtMs + 1)).toBe(true);
  });

  test('a refused reading is sent again, to the next instance in turn', async () => {
    const servers = [await instance(1), await instance()];
    open.push(...servers);
    const client = new FhirClient(servers[0].origin, { clientId: 'c', clientSecret: 's' });
    const result = await streamReadings(client, patients.slice(0, 4), {
      rate: 100,
      seconds: 0.01,
      redShare: 0,
      maxInFlight: 1,
      fhirBaseUrls: servers.map((s) => `${s.origin}/fhir/R4`),
    });
    expect(result).toMatchObject({ failed: 0, refused: 1, resent: 1 });
    expect(result.readings).toHaveLength(1);
    expect(servers.map((s) => s.posts.length)).toEqual([0, 1]);
  });

  test('without base URLs, every reading goes to the client’s server', async () => {
    const server = await instance();
    open.push(server);
    const client = new FhirClient(server.origin, { clientId: 'c', clientSecret: 's' });
    const result = await streamReadings(client, patients, { rate: 100, seconds: 0.05, redShare: 0, maxInFlight: 2 });
    expect(result.readings).toHaveLength(5);
    expect(server.posts).toHaveLength(5);
  });
});

describe('commitRate', () => {
  const committed = (count: number, overMs: number, startMs = 1_000_000) =>
    Array.from({ length: count }, (_, i) => ({ committedAtMs: startMs + Math.round((i * overMs) / (count - 1)) }));

  test('readings committed as fast as they were offered score the offered rate', () => {
    // 15,000 readings offered at 500/s: the last is due 29.998 s after the first.
    expect(commitRate(committed(15_000, 29_998))).toBeCloseTo(500, 6);
  });

  test('a server that falls behind spreads its commits over longer and scores less', () => {
    expect(commitRate(committed(15_000, 40_000))).toBeCloseTo(374.975, 3);
  });

  test('order does not matter; fewer than two readings give no rate', () => {
    expect(commitRate(committed(101, 1_000).reverse())).toBeCloseTo(100, 6);
    expect(commitRate(committed(1, 0))).toBe(0);
    expect(commitRate([])).toBe(0);
  });
});
