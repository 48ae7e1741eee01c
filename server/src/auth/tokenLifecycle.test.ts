// Tokens through a real OAuth client library (openid-client): backend services, refresh, introspection, revocation.
import crypto from 'node:crypto';
import http from 'node:http';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FormBrowser } from '../testing/formBrowser.ts';
import {
  authorizeUrl,
  createPatientPerson,
  exchangeCode,
  newPkce,
  redirectParams,
  signIn,
} from '../testing/smartFlow.ts';
import { TEST_ADMIN, useTestServer } from '../testing/testServer.ts';
import { PATIENT_APP_CLIENT_ID } from './appClients.ts';

const ctx = useTestServer();

/** openid-client talking to our issuer over loopback http (its default demands https). */
function discover(clientId: string, auth: oidc.ClientAuth): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(`${ctx.server.baseUrl}/oauth2`), clientId, undefined, auth, {
    execute: [oidc.allowInsecureRequests],
  });
}

async function registerClient(metadata: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${ctx.server.baseUrl}/admin/clients`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${ctx.medplum.getAccessToken()}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify(metadata),
  });
  expect(response.status, await response.clone().text()).toBe(201);
}

function fhirGet(token: string, path: string): Promise<Response> {
  return fetch(`${ctx.server.fhirBaseUrl}/${path}`, { headers: { authorization: `Bearer ${token}` } });
}

describe('SMART backend services with openid-client', () => {
  let rsKey: CryptoKey;
  let esKey: CryptoKey;
  let jwksServer: http.Server;
  const rsClient = `backend-rs384-${crypto.randomBytes(3).toString('hex')}`;
  const esClient = `backend-es384-${crypto.randomBytes(3).toString('hex')}`;

  beforeAll(async () => {
    const rs = await generateKeyPair('RS384', { extractable: true });
    const es = await generateKeyPair('ES384', { extractable: true });
    rsKey = rs.privateKey;
    esKey = es.privateKey;
    // The RS384 client registers its JWKS inline; the ES384 client publishes it at a jwks_uri.
    await registerClient({
      client_id: rsClient,
      client_name: 'Device gateway (RS384)',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'RS384',
      jwks: { keys: [{ ...(await exportJWK(rs.publicKey)), kid: 'rs-1', alg: 'RS384', use: 'sig' }] },
      fhir_scopes: 'system/Observation.cruds system/Patient.rs',
    });
    const esJwks = { keys: [{ ...(await exportJWK(es.publicKey)), kid: 'es-1', alg: 'ES384', use: 'sig' }] };
    jwksServer = http.createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(esJwks));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    const port = (jwksServer.address() as { port: number }).port;
    await registerClient({
      client_id: esClient,
      client_name: 'EHR backend (ES384)',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'ES384',
      jwks_uri: `http://127.0.0.1:${port}/jwks.json`,
      fhir_scopes: 'system/*.rs',
    });
  });
  afterAll(() => new Promise<void>((resolve) => jwksServer.close(() => resolve())));

  test('RS384 with an inline JWKS: a system token limited to its scope', async () => {
    const rs = await discover(rsClient, oidc.PrivateKeyJwt({ key: rsKey, kid: 'rs-1' }));
    const rsToken = await oidc.clientCredentialsGrant(rs, { scope: 'system/Observation.rs' });
    expect(rsToken.scope).toBe('system/Observation.rs');
    expect((await fhirGet(rsToken.access_token, 'Observation?_count=1')).status).toBe(200);
    expect((await fhirGet(rsToken.access_token, 'Patient?_count=1')).status).toBe(403);
  });

  test('ES384 with a jwks_uri', async () => {
    const es = await discover(esClient, oidc.PrivateKeyJwt({ key: esKey, kid: 'es-1' }));
    const esToken = await oidc.clientCredentialsGrant(es, { scope: 'system/Patient.rs' });
    expect((await fhirGet(esToken.access_token, 'Patient?_count=1')).status).toBe(200);
  });

  test('a scope beyond the registration is refused: invalid_scope', async () => {
    const rs = await discover(rsClient, oidc.PrivateKeyJwt({ key: rsKey, kid: 'rs-1' }));
    await expect(oidc.clientCredentialsGrant(rs, { scope: 'system/*.cruds' })).rejects.toMatchObject({
      error: 'invalid_scope',
    });
  });

  /** A hand-made assertion, to replay it or get it wrong on purpose. */
  async function assertion(claims: { aud?: string; jti?: string; iss?: string }): Promise<string> {
    return new SignJWT({})
      .setProtectedHeader({ alg: 'RS384', kid: 'rs-1', typ: 'JWT' })
      .setIssuer(claims.iss ?? rsClient)
      .setSubject(rsClient)
      .setAudience(claims.aud ?? ctx.server.tokenUrl)
      .setJti(claims.jti ?? crypto.randomUUID())
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(rsKey);
  }

  async function postToken(form: Record<string, string>) {
    const response = await fetch(ctx.server.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form),
    });
    return { status: response.status, body: (await response.json()) as Record<string, string> };
  }

  const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

  test('a replayed jti is refused', async () => {
    const jwt = await assertion({ jti: crypto.randomUUID() });
    const form = {
      grant_type: 'client_credentials',
      scope: 'system/Observation.rs',
      client_assertion_type: JWT_BEARER,
    };
    const first = await postToken({ ...form, client_assertion: jwt });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    const replay = await postToken({ ...form, client_assertion: jwt });
    expect(replay.status).toBe(401);
    expect(replay.body.error).toBe('invalid_client');
  });

  test('an assertion for another audience, a wrong assertion type, a wrong grant type: refused', async () => {
    const base = {
      grant_type: 'client_credentials',
      scope: 'system/Observation.rs',
      client_assertion_type: JWT_BEARER,
    };
    const wrongAud = await postToken({
      ...base,
      client_assertion: await assertion({ aud: 'https://other.example/token' }),
    });
    expect(wrongAud.status).toBe(401);
    expect(wrongAud.body.error).toBe('invalid_client');

    const wrongType = await postToken({
      ...base,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer',
      client_assertion: await assertion({}),
    });
    expect(wrongType.status).toBe(400);

    const wrongGrant = await postToken({ ...base, grant_type: 'password', client_assertion: await assertion({}) });
    expect(wrongGrant.status).toBe(400);
    expect(wrongGrant.body.error).toBe('unsupported_grant_type');
  });
});

describe('user tokens with openid-client: refresh, introspection, revocation', () => {
  const redirectUri = () => ctx.server.config.patientAppUrl;

  async function patientTokens(scope = 'openid fhirUser offline_access launch/patient patient/*.rs') {
    const patient = await createPatientPerson(ctx.server);
    const pkce = newPkce();
    const browser = new FormBrowser(redirectUri());
    const login = await browser.get(
      authorizeUrl(ctx.server, { clientId: PATIENT_APP_CLIENT_ID, redirectUri: redirectUri(), scope, pkce })
    );
    const code = redirectParams(await signIn(browser, login, patient)).get('code') as string;
    const tokens = await exchangeCode(ctx.server, {
      code,
      redirectUri: redirectUri(),
      clientId: PATIENT_APP_CLIENT_ID,
      verifier: pkce.verifier,
    });
    expect(tokens.status).toBe(200);
    return {
      patient,
      access: tokens.body.access_token as string,
      refresh: tokens.body.refresh_token as string,
      scope: tokens.body.scope as string,
    };
  }

  const app = () => discover(PATIENT_APP_CLIENT_ID, oidc.None());
  const admin = () => discover(TEST_ADMIN.clientId, oidc.ClientSecretBasic(TEST_ADMIN.clientSecret));

  test('refresh rotates the refresh token; the old one is then refused and the grant ends', async () => {
    const { refresh } = await patientTokens();
    const config = await app();
    const refreshed = await oidc.refreshTokenGrant(config, refresh);
    expect(refreshed.refresh_token).toBeTruthy();
    expect(refreshed.refresh_token).not.toBe(refresh);
    expect(refreshed.scope?.split(' ')).toContain('patient/*.rs');
    expect((refreshed as Record<string, unknown>).patient).toBeTruthy();
    await expect(oidc.refreshTokenGrant(config, refresh)).rejects.toMatchObject({ error: 'invalid_grant' });
    // Reusing a rotated refresh token revokes the grant: the newer refresh token stops working too.
    await expect(oidc.refreshTokenGrant(config, refreshed.refresh_token as string)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  test('a public app may refresh without naming itself (as SMART and fhirclient do)', async () => {
    const { refresh } = await patientTokens();
    const response = await fetch(ctx.server.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refresh }),
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { access_token?: string }).access_token).toBeTruthy();
    // A made-up refresh token still names no client: refused as before.
    const bogus = await fetch(ctx.server.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'made-up' }),
    });
    expect(bogus.status).toBe(400);
  });

  test('refresh with a narrower scope works; a broader scope is refused', async () => {
    const { refresh } = await patientTokens();
    const config = await app();
    const narrower = await oidc.refreshTokenGrant(config, refresh, { scope: 'patient/*.rs' });
    expect(narrower.scope).toBe('patient/*.rs');
    await expect(
      oidc.refreshTokenGrant(config, narrower.refresh_token as string, { scope: 'patient/*.cruds' })
    ).rejects.toMatchObject({ error: 'invalid_scope' });
  });

  test('introspection reports the token response’s scope and launch context; a bogus token is inactive', async () => {
    const { access, scope, patient } = await patientTokens();
    const config = await admin();
    const active = await oidc.tokenIntrospection(config, access);
    expect(active.active).toBe(true);
    expect(active.scope?.split(' ').sort()).toEqual(scope.split(' ').sort());
    expect(active).toMatchObject({
      client_id: PATIENT_APP_CLIENT_ID,
      patient: patient.patientId,
      sub: patient.account.id,
    });
    expect(active.fhirUser).toBe(`Patient/${patient.patientId}`);
    expect(await oidc.tokenIntrospection(config, 'bogus-token-value')).toEqual({ active: false });
  });

  test('a client may introspect its own tokens; another client sees them as inactive', async () => {
    const { access } = await patientTokens();
    expect((await oidc.tokenIntrospection(await app(), access)).active).toBe(true);
    const created = await fetch(`${ctx.server.baseUrl}/admin/clients`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ctx.medplum.getAccessToken()}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        client_name: 'Some other system',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        fhir_scopes: 'system/Observation.rs',
      }),
    });
    const other = (await created.json()) as { client_id: string; client_secret: string };
    expect(other.client_secret).toBeTruthy();
    const config = await discover(other.client_id, oidc.ClientSecretBasic(other.client_secret));
    expect(await oidc.tokenIntrospection(config, access)).toEqual({ active: false });
  });

  test("another client cannot revoke a patient's token: refused, and the token keeps working", async () => {
    const { access } = await patientTokens();
    const created = await fetch(`${ctx.server.baseUrl}/admin/clients`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ctx.medplum.getAccessToken()}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        client_name: 'A system that found a token',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        fhir_scopes: 'system/Observation.rs',
      }),
    });
    const other = (await created.json()) as { client_id: string; client_secret: string };
    const config = await discover(other.client_id, oidc.ClientSecretBasic(other.client_secret));
    await expect(oidc.tokenRevocation(config, access)).rejects.toMatchObject({ error: 'invalid_request' });
    expect((await fhirGet(access, 'Observation')).status).toBe(200);
  });

  test('a revoked access token gets 401 at once; a revoked refresh token cannot refresh', async () => {
    const { access, refresh } = await patientTokens();
    const config = await app();
    expect((await fhirGet(access, 'Observation')).status).toBe(200); // now cached as verified
    await oidc.tokenRevocation(config, access);
    const after = await fhirGet(access, 'Observation');
    expect(after.status).toBe(401);
    expect(after.headers.get('www-authenticate')).toContain('invalid_token');

    await oidc.tokenRevocation(config, refresh);
    await expect(oidc.refreshTokenGrant(config, refresh)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  test('disabling the account ends its tokens', async () => {
    const { access, patient } = await patientTokens();
    const disabled = await fetch(`${ctx.server.baseUrl}/admin/accounts/${patient.account.id}/disable`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ctx.medplum.getAccessToken()}` },
    });
    expect(disabled.status).toBe(200);
    const after = await fhirGet(access, `Patient/${patient.patientId}`);
    expect(after.status).toBe(401);
    expect(after.headers.get('www-authenticate')).toContain('disabled');
  });

  test('forged and malformed tokens: 401', async () => {
    for (const token of [crypto.randomBytes(32).toString('base64url'), 'a.b.c']) {
      const response = await fhirGet(token, 'Patient');
      expect(response.status).toBe(401);
    }
  });
});

describe('SMART discovery', () => {
  test('.well-known/smart-configuration is public, cross-origin and names every endpoint', async () => {
    const response = await fetch(`${ctx.server.fhirBaseUrl}/.well-known/smart-configuration`, {
      headers: { origin: 'https://app.example' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    const document = (await response.json()) as Record<string, unknown>;
    const issuer = `${ctx.server.baseUrl}/oauth2`;
    expect(document).toMatchObject({
      issuer,
      authorization_endpoint: `${issuer}/authorize`,
      token_endpoint: `${issuer}/token`,
      introspection_endpoint: `${issuer}/introspect`,
      revocation_endpoint: `${issuer}/revoke`,
      code_challenge_methods_supported: ['S256'],
    });
    expect(document.grant_types_supported).toEqual(['authorization_code', 'refresh_token', 'client_credentials']);
    expect(document.capabilities).toEqual(
      expect.arrayContaining([
        'launch-ehr',
        'launch-standalone',
        'client-public',
        'permission-v2',
        'sso-openid-connect',
      ])
    );
    // What it promises is what the authorization server itself publishes.
    const openid = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as Record<
      string,
      unknown
    >;
    expect(openid.authorization_endpoint).toBe(document.authorization_endpoint);
    expect(openid.token_endpoint).toBe(document.token_endpoint);
    expect(openid.introspection_endpoint).toBe(document.introspection_endpoint);
    expect(openid.revocation_endpoint).toBe(document.revocation_endpoint);
  });

  test('the CapabilityStatement carries the oauth-uris extension', async () => {
    const statement = (await (await fetch(`${ctx.server.fhirBaseUrl}/metadata`)).json()) as {
      rest: { security: { extension: { url: string; extension: { url: string; valueUri: string }[] }[] } }[];
    };
    const uris = statement.rest[0].security.extension.find((e) => e.url.endsWith('oauth-uris'))?.extension ?? [];
    const issuer = `${ctx.server.baseUrl}/oauth2`;
    expect(Object.fromEntries(uris.map((u) => [u.url, u.valueUri]))).toMatchObject({
      authorize: `${issuer}/authorize`,
      token: `${issuer}/token`,
      introspect: `${issuer}/introspect`,
      revoke: `${issuer}/revoke`,
    });
  });
});
