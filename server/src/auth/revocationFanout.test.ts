// Revocation across server processes: with Redis, a token revoked on one instance stops working on another at once.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startServerProcess, type ServerProcess } from '../testing/serverProcess.ts';
import { TEST_ADMIN } from '../testing/testServer.ts';

const REDIS_URL = process.env.REDIS_URL;

// Needs a real Redis: CI runs the suite once with REDIS_URL (this test runs) and once without any services.
describe.runIf(REDIS_URL)('revocation fan-out through Redis between two server processes', () => {
  let first: ServerProcess;
  let second: ServerProcess;

  beforeAll(async () => {
    first = await startServerProcess({ REDIS_URL });
    // Behind one load balancer both instances have the same public BASE_URL (the tokens' audience).
    second = await startServerProcess({ REDIS_URL, BASE_URL: first.baseUrl });
  }, 60_000);
  afterAll(async () => {
    await first?.stop();
    await second?.stop();
  });

  async function systemToken(server: ServerProcess): Promise<string> {
    const response = await fetch(`${server.baseUrl}/oauth2/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${TEST_ADMIN.clientId}:${TEST_ADMIN.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials&scope=system/*.rs',
    });
    return ((await response.json()) as { access_token: string }).access_token;
  }

  test('the second instance, which had just verified the token, refuses it right after the first revokes it', async () => {
    const token = await systemToken(first);
    const read = () =>
      fetch(`${second.directUrl}/fhir/R4/Patient?_count=1`, { headers: { authorization: `Bearer ${token}` } });
    expect((await read()).status).toBe(200); // verified and cached by the second instance
    const revoked = await fetch(`${first.baseUrl}/oauth2/revoke`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${TEST_ADMIN.clientId}:${TEST_ADMIN.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token }),
    });
    expect(revoked.status).toBe(200);
    // The cache would keep the token for 10 s; the Redis announcement must arrive well before that.
    const deadline = Date.now() + 2_000;
    let status = 200;
    while (status === 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      status = (await read()).status;
    }
    expect(status).toBe(401);
  });
});
