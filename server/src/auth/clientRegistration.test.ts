// Registering clients: the administrators' API, open dynamic registration's limits, and the EHR launch API.
import { describe, expect, test } from 'vitest';
import { issueUserToken } from '../testing/userTokens.ts';
import { useTestServer } from '../testing/testServer.ts';

const ctx = useTestServer();

function adminPost(path: string, body: unknown, token = ctx.medplum.getAccessToken() as string) {
  return fetch(`${ctx.server.baseUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('the client registration API (/admin/clients)', () => {
  test('a confidential client gets a generated secret once; it is never shown again', async () => {
    const created = await adminPost('/admin/clients', {
      client_name: 'Lab system',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      fhir_scopes: 'system/Observation.rs',
    });
    expect(created.status).toBe(201);
    const client = (await created.json()) as { client_id: string; client_secret: string };
    expect(client.client_secret.length).toBeGreaterThanOrEqual(40);

    const token = await fetch(ctx.server.tokenUrl, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials&scope=system/Observation.rs',
    });
    expect(token.status).toBe(200);
    const accessToken = ((await token.json()) as { access_token: string }).access_token;

    const shown = await fetch(`${ctx.server.baseUrl}/admin/clients/${client.client_id}`, {
      headers: { authorization: `Bearer ${ctx.medplum.getAccessToken()}` },
    });
    expect(await shown.json()).not.toHaveProperty('client_secret');

    // Removing the client ends its tokens.
    const removed = await fetch(`${ctx.server.baseUrl}/admin/clients/${client.client_id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${ctx.medplum.getAccessToken()}` },
    });
    expect(removed.status).toBe(204);
    await new Promise((resolve) => setTimeout(resolve, 10));
    const after = await fetch(`${ctx.server.fhirBaseUrl}/Observation`, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    // A token verified earlier may be cached for up to 10 s; this one was never used, so it is refused at once.
    expect(after.status).toBe(401);
  });

  test('bad metadata: 400 with the reason; duplicate id: 409; unknown id: 404', async () => {
    const noScopes = await adminPost('/admin/clients', { client_name: 'x', grant_types: ['client_credentials'] });
    expect(noScopes.status).toBe(400);
    const badRedirect = await adminPost('/admin/clients', {
      client_name: 'x',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: ['not a url'],
      fhir_scopes: 'patient/*.rs',
    });
    expect(badRedirect.status).toBe(400);
    expect(JSON.stringify(await badRedirect.json())).toContain('redirect_uris');
    const badScope = await adminPost('/admin/clients', {
      grant_types: ['client_credentials'],
      response_types: [],
      fhir_scopes: 'everything please',
    });
    expect(badScope.status).toBe(400);
    const secretSent = await adminPost('/admin/clients', { client_secret: 'mine', fhir_scopes: 'system/*.rs' });
    expect(secretSent.status).toBe(400);

    const body = {
      client_id: 'dup-client-1',
      grant_types: ['client_credentials'],
      response_types: [],
      fhir_scopes: 'system/*.rs',
    };
    expect((await adminPost('/admin/clients', body)).status).toBe(201);
    expect((await adminPost('/admin/clients', body)).status).toBe(409);
    const missing = await fetch(`${ctx.server.baseUrl}/admin/clients/no-such-client`, {
      headers: { authorization: `Bearer ${ctx.medplum.getAccessToken()}` },
    });
    expect(missing.status).toBe(404);
  });

  test('only administrators: a clinician token gets 403, no token 401', async () => {
    const clinician = await issueUserToken(ctx.server, {
      accountId: 'not-an-admin',
      scope: 'user/*.cruds',
      role: 'clinician',
      fhirUser: 'Practitioner/x',
    });
    expect((await adminPost('/admin/clients', { fhir_scopes: 'system/*.*' }, clinician)).status).toBe(403);
    const anonymous = await fetch(`${ctx.server.baseUrl}/admin/clients`);
    expect(anonymous.status).toBe(401);
  });
});

describe('open dynamic registration (RFC 7591)', () => {
  async function register(metadata: Record<string, unknown>) {
    const response = await fetch(`${ctx.server.baseUrl}/oauth2/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(metadata),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  test('a public app registers itself and gets user-facing scopes only', async () => {
    const { status, body } = await register({
      client_name: 'A patient diary app',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: ['https://diary.example/callback'],
    });
    expect(status).toBe(201);
    expect(body.fhir_scopes).toBe('patient/*.rs user/*.rs');
    expect(body.client_secret).toBeUndefined();
    expect(body.registration_access_token).toBeTruthy();
  });

  test('secrets, client_credentials, system scopes and our trust flags cannot be self-registered', async () => {
    const base = {
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: ['https://app.example/cb'],
    };
    for (const attempt of [
      { ...base, token_endpoint_auth_method: 'client_secret_basic' },
      { ...base, grant_types: ['client_credentials'], response_types: [], redirect_uris: [] },
      { ...base, fhir_scopes: 'system/*.*' },
      { ...base, rpm_first_party: true },
    ]) {
      const { status, body } = await register(attempt);
      expect(status, JSON.stringify(attempt)).toBe(400);
      expect(body.error).toBe('invalid_client_metadata');
    }
  });
});

describe('the EHR launch API (POST /oauth2/launch)', () => {
  test('bad input: 400 OperationOutcome; an unknown patient: 404; no token: 401', async () => {
    const bad = await adminPost('/oauth2/launch', { patient: '../etc', need_patient_banner: 'yes' });
    expect(bad.status).toBe(400);
    const outcome = (await bad.json()) as { resourceType: string; issue: { details: { text: string } }[] };
    expect(outcome.resourceType).toBe('OperationOutcome');
    expect(outcome.issue[0].details.text).toContain('patient');
    expect((await adminPost('/oauth2/launch', { patient: 'no-such-patient' })).status).toBe(404);
    const anonymous = await fetch(`${ctx.server.baseUrl}/oauth2/launch`, { method: 'POST' });
    expect(anonymous.status).toBe(401);
  });

  test('a clinician can launch only for a patient they may see', async () => {
    const created = await ctx.api('Patient', { method: 'POST', body: JSON.stringify({ resourceType: 'Patient' }) });
    const patientId = ((await created.json()) as { id: string }).id;
    const clinician = await issueUserToken(ctx.server, {
      accountId: 'clinician-without-patients',
      scope: 'user/*.rs',
      role: 'clinician',
      fhirUser: 'Practitioner/nobody',
    });
    expect((await adminPost('/oauth2/launch', { patient: patientId }, clinician)).status).toBe(404);
    expect((await adminPost('/oauth2/launch', { patient: patientId })).status).toBe(201);
  });
});
