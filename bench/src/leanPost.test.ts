// The load generator's POST: status, Retry-After and body come back; connections are reused; a silent server times out.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { leanPoster } from './leanPost.ts';

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function listen(handler: http.RequestListener): Promise<{ url: string; connections: () => number }> {
  let connections = 0;
  const server = http.createServer(handler);
  server.on('connection', () => connections++);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, connections: () => connections };
}

describe('leanPoster', () => {
  test('answers status, Retry-After and the body as sent back, over one kept-alive connection', async () => {
    const server = await listen((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        res.writeHead(body === 'busy' ? 503 : 201, {
          ...(body === 'busy' ? { 'retry-after': '2' } : {}),
          'x-auth': String(req.headers.authorization),
        });
        res.end(`${req.method} ${req.url} ${body} ${req.headers.authorization}`);
      });
    });
    const poster = leanPoster(1);
    const first = await poster.post(
      `${server.url}/fhir/R4/Observation`,
      { authorization: 'Bearer t' },
      'ä reading',
      5_000
    );
    expect(first).toEqual({ status: 201, retryAfter: null, text: 'POST /fhir/R4/Observation ä reading Bearer t' });
    expect(await poster.post(`${server.url}/x`, {}, 'busy', 5_000)).toMatchObject({ status: 503, retryAfter: '2' });
    expect(server.connections()).toBe(1);
    poster.close();
  });

  test('a server that never answers is an error after the time limit, not a hang', async () => {
    const server = await listen(() => undefined);
    const poster = leanPoster(1);
    await expect(poster.post(server.url, {}, 'x', 200)).rejects.toThrow(/no answer within 200 ms/);
    poster.close();
  });
});
