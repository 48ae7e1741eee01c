// The health endpoint load balancers use, with and without Redis.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestServer } from '../testing/testServer.ts';

type Server = Awaited<ReturnType<typeof startTestServer>>;

describe('GET /healthz', () => {
  let server: Server;
  beforeAll(async () => {
    // CI passes REDIS_URL (the machine's Redis); a machine without Redis runs the single-process mode.
    server = await startTestServer({ REDIS_URL: process.env.REDIS_URL ?? '' });
  });
  afterAll(() => server?.close());

  test('reports the database, and Redis exactly when REDIS_URL is configured', async () => {
    const res = await fetch(`${server.baseUrl}/healthz`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, string>;
    expect(body.database).toBe('ok');
    if (process.env.REDIS_URL) {
      expect(body.redis).toBe('ok');
      expect(await server.redis?.ping()).toBe('PONG');
    } else {
      expect(body.redis).toBeUndefined();
      expect(server.redis).toBeUndefined();
    }
  });

  test('an unreachable REDIS_URL stops start-up with a clear error', async () => {
    await expect(startTestServer({ REDIS_URL: 'redis://127.0.0.1:1' })).rejects.toThrow(/Cannot reach Redis/);
  });
});
