// Bearer tokens on the FHIR API over real HTTP: 200 with a caller, 401 with challenge and OperationOutcome, 403 by scope.
import { getStatus, OperationOutcomeError } from '@medplum/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { assertCallerMay } from './scopeCheck.ts';
import { basicAuth, postToken, startAuthTestServer, uniqueId, type AuthTestServer } from './testServer.ts';

const SECRET = 'authenticate-test-secret';

describe('authenticate', () => {
  const adminId = uniqueId('admin');
  let server: AuthTestServer;

  async function token(scope: string, target = server): Promise<string> {
    const { status, body } = await postToken(
      target.tokenUrl,
      { grant_type: 'client_credentials', scope },
      basicAuth(adminId, SECRET)
    );
    expect(status).toBe(200);
    return String(body.access_token);
  }

  function get(path: string, accessToken?: string): Promise<Response> {
    return fetch(
      `${server.fhirUrl}${path}`,
      accessToken ? { headers: { authorization: `Bearer ${accessToken}` } } : {}
    );
  }

  async function expect401(response: Response, error: string | undefined): Promise<void> {
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toMatch(/^application\/fhir\+json/);
    const challenge = response.headers.get('www-authenticate') ?? '';
    expect(challenge).toMatch(new RegExp(`^Bearer realm="${server.fhirBaseUrl}"`));
    if (error) {
      expect(challenge).toContain(`error="${error}"`);
    } else {
      expect(challenge).not.toContain('error=');
    }
    const outcome = await response.json();
    expect(outcome).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'login' }] });
  }

  beforeAll(async () => {
    server = await startAuthTestServer({ RPM_ADMIN_CLIENT_ID: adminId, RPM_ADMIN_CLIENT_SECRET: SECRET });
  });
  afterAll(() => server.close());

  test('a valid token reaches the route with a typed caller', async () => {
    const response = await get('/whoami', await token('system/*.*'));
    expect(response.status).toBe(200);
    const caller = await response.json();
    expect(caller).toMatchObject({ clientId: adminId, scopes: ['system/*.*'] });
    expect(caller.subject).toBeUndefined();
    expect(caller.expiresAt).toBeGreaterThan(Date.now() / 1000);
    expect((await get('/Observation', await token('system/*.*'))).status).toBe(200);
  });

  test('no token, another scheme, garbage: 401', async () => {
    await expect401(await get('/whoami'), undefined);
    await expect401(await fetch(`${server.fhirUrl}/whoami`, { headers: { authorization: 'Basic YTpi' } }), undefined);
    await expect401(await get('/whoami', 'not-a-token'), 'invalid_token');
    await expect401(
      await fetch(`${server.fhirUrl}/whoami`, { headers: { authorization: 'Bearer a "b" c' } }),
      'invalid_token'
    );
  });

  test('an expired token: 401 invalid_token (stored expiry passed, or payload expiry passed)', async () => {
    const gone = await token('system/*.rs');
    await server.pool.query("UPDATE oauth_payload SET expires_at = now() - interval '1 second' WHERE id = $1", [gone]);
    await expect401(await get('/whoami', gone), 'invalid_token');

    // Within the library's clock tolerance the row is still found; the middleware still refuses it.
    const stale = await token('system/*.rs');
    await server.pool.query(
      "UPDATE oauth_payload SET payload = jsonb_set(payload, '{exp}', to_jsonb(extract(epoch FROM now())::bigint - 2)) WHERE id = $1",
      [stale]
    );
    const response = await get('/whoami', stale);
    expect(response.headers.get('www-authenticate')).toContain('has expired');
    await expect401(response, 'invalid_token');
  });

  test('a token past its configured lifetime: 401', async () => {
    const shortLived = await startAuthTestServer({
      RPM_ADMIN_CLIENT_ID: adminId,
      RPM_ADMIN_CLIENT_SECRET: SECRET,
      // Long enough that the first use is inside it even on a loaded CI machine.
      RPM_ACCESS_TOKEN_TTL: '5',
      BASE_URL: server.baseUrl,
    });
    try {
      const { body } = await postToken(
        shortLived.tokenUrl,
        { grant_type: 'client_credentials', scope: 'system/*.rs' },
        basicAuth(adminId, SECRET)
      );
      expect(body.expires_in).toBe(5);
      expect((await get('/whoami', String(body.access_token))).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 6100));
      await expect401(await get('/whoami', String(body.access_token)), 'invalid_token');
    } finally {
      await shortLived.close();
    }
  });

  test('a revoked (destroyed) token: 401', async () => {
    const revoked = await token('system/*.rs');
    const found = await server.auth.provider.ClientCredentials.find(revoked);
    await found?.destroy();
    await expect401(await get('/whoami', revoked), 'invalid_token');
  });

  test('a token issued for another FHIR server (audience) is refused', async () => {
    const elsewhere = await startAuthTestServer(
      { RPM_ADMIN_CLIENT_ID: adminId, RPM_ADMIN_CLIENT_SECRET: SECRET },
      server.pool
    );
    try {
      const foreign = await token('system/*.rs', elsewhere);
      await expect401(await get('/whoami', foreign), 'invalid_token');
    } finally {
      await elsewhere.close();
    }
  });

  test('scopes decide per resource type and interaction: 403 OperationOutcome otherwise', async () => {
    const observations = await token('system/Observation.rs');
    expect((await get('/Observation', observations)).status).toBe(200);
    const refused = await get('/Patient', observations);
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toMatch(/^application\/fhir\+json/);
    expect(refused.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    expect(await refused.json()).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'forbidden' }] });
  });

  test('assertCallerMay throws a 403 OperationOutcomeError', () => {
    const caller = { clientId: 'c', scopes: ['system/Observation.rs'], expiresAt: 0 };
    expect(() => assertCallerMay(caller, 'Observation', 'read')).not.toThrow();
    try {
      assertCallerMay(caller, 'Observation', 'create');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(OperationOutcomeError);
      expect(getStatus((err as OperationOutcomeError).outcome)).toBe(403);
    }
  });
});
