// Several instances on one database: same keys, and a token from one instance works on the other (and its revocation).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createPool } from '../db/pool.ts';
import { ensureAuthKeys } from './keys.ts';
import { basicAuth, postToken, startAuthTestServer, uniqueId, type AuthTestServer } from './testServer.ts';

describe('several instances', () => {
  const adminId = uniqueId('shared');
  const env = { RPM_ADMIN_CLIENT_ID: adminId, RPM_ADMIN_CLIENT_SECRET: 'shared-secret' };
  let first: AuthTestServer;
  let second: AuthTestServer;

  beforeAll(async () => {
    // Started together, like instances behind one load balancer (same BASE_URL, own pools, own processes' state).
    first = await startAuthTestServer(env);
    second = await startAuthTestServer({ ...env, BASE_URL: first.baseUrl });
  });
  afterAll(async () => {
    await second?.close();
    await first?.close();
  });

  test('keys are generated once and shared', async () => {
    const pool = createPool(process.env.RPM_TEST_DATABASE_URL as string, 2);
    try {
      const [a, b] = await Promise.all([ensureAuthKeys(pool), ensureAuthKeys(pool)]);
      expect(a).toEqual(b);
      expect(a.jwks.keys.map((key) => key.kty).sort()).toEqual(['EC', 'RSA']);
      expect(a.cookieKeys).toHaveLength(1);
    } finally {
      await pool.end();
    }
    const [jwksA, jwksB] = await Promise.all(
      [first, second].map(async (server) => (await fetch(`${server.baseUrl}/oauth2/jwks`)).json())
    );
    expect(jwksA).toEqual(jwksB);
    expect(JSON.stringify(jwksA)).not.toMatch(/"d":/); // public parts only
  });

  test("each instance accepts the other's tokens", async () => {
    for (const [issuing, serving] of [
      [first, second],
      [second, first],
    ]) {
      const { status, body } = await postToken(
        issuing.tokenUrl,
        { grant_type: 'client_credentials', scope: 'system/Observation.rs' },
        basicAuth(adminId, 'shared-secret')
      );
      expect(status).toBe(200);
      const response = await fetch(`${serving.fhirUrl}/Observation`, {
        headers: { authorization: `Bearer ${body.access_token}` },
      });
      expect(response.status).toBe(200);
    }
  });

  test('a token revoked through one instance is refused by the other', async () => {
    const { body } = await postToken(
      first.tokenUrl,
      { grant_type: 'client_credentials', scope: 'system/*.rs' },
      basicAuth(adminId, 'shared-secret')
    );
    const accessToken = String(body.access_token);
    await (await first.auth.provider.ClientCredentials.find(accessToken))?.destroy();
    const response = await fetch(`${second.fhirUrl}/whoami`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(response.status).toBe(401);
  });
});
