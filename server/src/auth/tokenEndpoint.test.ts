// The token endpoint over real HTTP: client_credentials with secrets and signed assertions, and every refusal as OAuth JSON.
import crypto from 'node:crypto';
import { MedplumClient } from '@medplum/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { saveClient } from './clients.ts';
import { basicAuth, postToken, startAuthTestServer, uniqueId, type AuthTestServer } from './testServer.ts';

const SECRET = 'token-endpoint-test-secret';

describe('token endpoint', () => {
  const adminId = uniqueId('admin');
  let server: AuthTestServer;

  beforeAll(async () => {
    server = await startAuthTestServer({ RPM_ADMIN_CLIENT_ID: adminId, RPM_ADMIN_CLIENT_SECRET: SECRET });
  });
  afterAll(() => server.close());

  test('client_secret_basic: an opaque bearer token with the requested scope', async () => {
    const { status, headers, body } = await postToken(
      server.tokenUrl,
      { grant_type: 'client_credentials', scope: 'system/*.*' },
      basicAuth(adminId, SECRET)
    );
    expect(status).toBe(200);
    expect(body).toMatchObject({ token_type: 'Bearer', scope: 'system/*.*', expires_in: 3600 });
    expect(typeof body.access_token).toBe('string');
    expect(String(body.access_token).split('.')).toHaveLength(1); // not a JWT
    expect(headers.get('cache-control')).toContain('no-store');
    expect(headers.get('pragma')).toBe('no-cache');
  });

  test('client_secret_post works for the same client', async () => {
    const { status, body } = await postToken(server.tokenUrl, {
      grant_type: 'client_credentials',
      scope: 'system/*.cruds',
      client_id: adminId,
      client_secret: SECRET,
    });
    expect(status).toBe(200);
    expect(body.scope).toBe('system/*.cruds');
  });

  test('no scope requested: the client gets its registered scopes (as generic OAuth clients expect)', async () => {
    const { status, body } = await postToken(server.tokenUrl, {
      grant_type: 'client_credentials',
      client_id: adminId,
      client_secret: SECRET,
    });
    expect(status).toBe(200);
    expect(body.scope).toBe('system/*.* system/*.cruds');
  });

  test('MedplumClient.startClientLogin (no scope, secret in the body) gets a usable token', async () => {
    const medplum = new MedplumClient({ baseUrl: `${server.baseUrl}/`, fetch, cacheTime: 0 });
    await medplum.startClientLogin(adminId, SECRET);
    const caller = await medplum.get(`${server.fhirUrl}/whoami`);
    expect(caller).toMatchObject({ clientId: adminId, scopes: ['system/*.*', 'system/*.cruds'] });
  });

  test('scope narrowing: the token carries only what was asked for', async () => {
    const { status, body } = await postToken(
      server.tokenUrl,
      { grant_type: 'client_credentials', scope: 'system/Observation.rs' },
      basicAuth(adminId, SECRET)
    );
    expect(status).toBe(200);
    expect(body.scope).toBe('system/Observation.rs');
    const whoami = await fetch(`${server.fhirUrl}/whoami`, {
      headers: { authorization: `Bearer ${body.access_token}` },
    });
    expect(await whoami.json()).toMatchObject({ clientId: adminId, scopes: ['system/Observation.rs'] });
  });

  test('the token is issued for the FHIR base URL (stored audience)', async () => {
    const { body } = await postToken(
      server.tokenUrl,
      { grant_type: 'client_credentials', scope: 'system/*.rs' },
      basicAuth(adminId, SECRET)
    );
    const token = await server.auth.provider.ClientCredentials.find(String(body.access_token));
    expect(token?.aud).toBe(server.fhirBaseUrl);
  });

  test('wrong secret and unknown client: 401 invalid_client', async () => {
    for (const headers of [basicAuth(adminId, 'wrong'), basicAuth(uniqueId('nobody'), SECRET)]) {
      const {
        status,
        headers: responseHeaders,
        body,
      } = await postToken(server.tokenUrl, { grant_type: 'client_credentials', scope: 'system/*.*' }, headers);
      expect(status).toBe(401);
      expect(body.error).toBe('invalid_client');
      expect(responseHeaders.get('www-authenticate')).toMatch(/^Basic realm=/);
    }
  });

  test.each([
    ['password', { grant_type: 'password', username: 'u', password: 'p' }, 'unsupported_grant_type'],
    // The server supports these grants, but this client is registered for client_credentials only.
    [
      'authorization_code for a client_credentials client',
      { grant_type: 'authorization_code', code: 'abc', redirect_uri: 'https://app.example/cb' },
      'invalid_request',
    ],
    [
      'refresh_token for a client_credentials client',
      { grant_type: 'refresh_token', refresh_token: 'abc' },
      'invalid_request',
    ],
    ['password (not supported)', { grant_type: 'password', username: 'a', password: 'b' }, 'unsupported_grant_type'],
    [
      'jwt-bearer',
      { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: 'x' },
      'unsupported_grant_type',
    ],
    ['missing grant_type', { scope: 'system/*.*' }, 'invalid_request'],
    ['an OpenID scope', { grant_type: 'client_credentials', scope: 'openid system/*.rs' }, 'invalid_scope'],
    ['a patient scope', { grant_type: 'client_credentials', scope: 'patient/*.rs' }, 'invalid_scope'],
    ['a malformed scope', { grant_type: 'client_credentials', scope: 'system/*.sr' }, 'invalid_scope'],
    [
      'a granular query scope',
      { grant_type: 'client_credentials', scope: 'system/Observation.rs?category=vital-signs' },
      'invalid_scope',
    ],
    [
      'another resource',
      { grant_type: 'client_credentials', scope: 'system/*.rs', resource: 'https://elsewhere.example/fhir' },
      'invalid_target',
    ],
  ] as const)('%s: 400 with OAuth error JSON', async (_name, form, error) => {
    const { status, headers, body } = await postToken(server.tokenUrl, form, basicAuth(adminId, SECRET));
    expect(status).toBe(400);
    expect(headers.get('content-type')).toMatch(/^application\/json/);
    expect(body.error, JSON.stringify(body)).toBe(error);
  });

  test('malformed requests: repeated parameter, JSON body, missing credentials, a non-Basic Authorization header, GET', async () => {
    const repeated = await fetch(server.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...basicAuth(adminId, SECRET) },
      body: 'grant_type=client_credentials&scope=system%2F*.rs&scope=system%2F*.r&%%%',
    });
    expect(repeated.status).toBe(400);
    expect((await repeated.json()).error).toBe('invalid_request');

    const json = await fetch(server.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...basicAuth(adminId, SECRET) },
      body: '{"grant_type":"client_credentials"',
    });
    expect(json.status).toBe(400);
    expect((await json.json()).error).toBe('invalid_request');

    const anonymous = await postToken(server.tokenUrl, { grant_type: 'client_credentials', scope: 'system/*.rs' });
    expect(anonymous.status).toBe(400);
    expect(anonymous.body.error).toBe('invalid_request');

    const bearer = await postToken(
      server.tokenUrl,
      { grant_type: 'client_credentials' },
      { authorization: 'Bearer x' }
    );
    expect(bearer.status).toBe(400);
    expect(bearer.body.error).toBe('invalid_request');

    const get = await fetch(server.tokenUrl);
    expect(get.status).toBe(404);
    expect((await get.json()).error).toBe('invalid_request');
  });

  test('a scope the client is not registered for: 400 invalid_scope', async () => {
    const clientId = uniqueId('reader');
    await saveClient(
      server.pool,
      {
        client_id: clientId,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        fhir_scopes: 'system/Observation.rs',
      },
      'reader-secret'
    );
    const refused = await postToken(
      server.tokenUrl,
      { grant_type: 'client_credentials', scope: 'system/Patient.rs' },
      basicAuth(clientId, 'reader-secret')
    );
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: 'invalid_scope', scope: 'system/Patient.rs' });
    const wider = await postToken(
      server.tokenUrl,
      { grant_type: 'client_credentials', scope: 'system/Observation.cruds' },
      basicAuth(clientId, 'reader-secret')
    );
    expect(wider.body.error).toBe('invalid_scope');
    const allowed = await postToken(
      server.tokenUrl,
      { grant_type: 'client_credentials', scope: 'system/Observation.read' },
      basicAuth(clientId, 'reader-secret')
    );
    expect(allowed.status).toBe(200);
  });

  test('CORS: preflight answered; a browser origin is refused for a confidential client', async () => {
    const preflight = await fetch(server.tokenUrl, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example');
    const browser = await postToken(
      server.tokenUrl,
      { grant_type: 'client_credentials', scope: 'system/*.rs' },
      { origin: 'https://app.example', ...basicAuth(adminId, SECRET) }
    );
    expect(browser.status).toBe(400);
    expect(browser.headers.get('access-control-allow-origin')).toBeNull();
  });

  test('private_key_jwt with an RS384 client assertion (SMART backend services)', async () => {
    const clientId = uniqueId('backend');
    const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    const kid = uniqueId('kid');
    await saveClient(server.pool, {
      client_id: clientId,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS384', use: 'sig' }] },
      fhir_scopes: 'system/*.rs',
    });
    const assertion = (jti: string) => {
      const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const now = Math.floor(Date.now() / 1000);
      const input = `${encode({ alg: 'RS384', typ: 'JWT', kid })}.${encode({ iss: clientId, sub: clientId, aud: server.tokenUrl, jti, iat: now, exp: now + 300 })}`;
      return `${input}.${crypto.sign('sha384', Buffer.from(input), privateKey).toString('base64url')}`;
    };
    const form = (jti: string) => ({
      grant_type: 'client_credentials',
      scope: 'system/Observation.rs',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion(jti),
    });
    const jti = uniqueId('jti');
    const first = await postToken(server.tokenUrl, form(jti));
    expect(first.status).toBe(200);
    expect(first.body.scope).toBe('system/Observation.rs');
    // The same assertion again is a replay (detected through the shared adapter).
    const replay = await postToken(server.tokenUrl, form(jti));
    expect(replay.status).toBe(401);
    expect(replay.body.error).toBe('invalid_client');
  });
});
