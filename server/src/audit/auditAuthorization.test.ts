// Sign-in audit: a client_credentials token issue, a refused token request, a token minted in-process, and logins.
import crypto from 'node:crypto';
import type { AuditEvent } from '@medplum/fhirtypes';
import { beforeAll, describe, expect, test } from 'vitest';
import { saveClient } from '../auth/clients.ts';
import { PostgresRepository } from '../fhir/repository/postgresRepository.ts';
import { parseSearchQuery } from '../fhir/search/index.ts';
import { useTestServer } from '../testing/testServer.ts';
import { issueUserToken } from '../testing/userTokens.ts';
import { DCM, OAUTH_CLIENT_SYSTEM, type AuditEntry } from './auditEvent.ts';
import { recordLogin, recordLogout } from './auditAuthorization.ts';
import type { AuditLog } from './auditLog.ts';

const context = useTestServer();
const clientId = `audit-client-${crypto.randomBytes(4).toString('hex')}`;
const SECRET = 'audit-client-secret';

async function auditEvents(query: Record<string, string>): Promise<AuditEvent[]> {
  await context.server.audit.flush();
  const repo = new PostgresRepository(context.server.pool, { fhirBaseUrl: context.server.fhirBaseUrl });
  const bundle = await repo.search(parseSearchQuery('AuditEvent', { _count: '100', ...query }));
  return (bundle.entry ?? []).map((e) => e.resource as AuditEvent);
}

function byClient(id: string): Record<string, string> {
  return { 'agent:identifier': `${OAUTH_CLIENT_SYSTEM}|${id}` };
}

function postToken(form: Record<string, string>, secret: string): Promise<Response> {
  return fetch(context.server.tokenUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
      'user-agent': 'audit-token-test',
    },
    body: new URLSearchParams(form).toString(),
  });
}

beforeAll(async () => {
  await saveClient(
    context.server.pool,
    {
      client_id: clientId,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      fhir_scopes: 'system/Observation.rs',
    },
    SECRET
  );
});

describe('OAuth audit', () => {
  test('a client_credentials token issue is one token event: client, scope, grant type, address', async () => {
    const response = await postToken({ grant_type: 'client_credentials', scope: 'system/Observation.rs' }, SECRET);
    expect(response.status).toBe(200);
    const events = await auditEvents(byClient(clientId));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: { system: DCM, code: '110114' },
      subtype: [{ code: 'ITI-71' }],
      action: 'E',
      outcome: '0',
    });
    expect(events[0].agent?.[0]).toMatchObject({
      who: { identifier: { system: OAUTH_CLIENT_SYSTEM, value: clientId } },
      requestor: true,
      network: { address: expect.stringMatching(/127\.0\.0\.1/), type: '2' },
      extension: [{ valueString: 'audit-token-test' }],
    });
    expect(events[0].entity?.[0].detail).toEqual([
      { type: 'scope', valueString: 'system/Observation.rs' },
      { type: 'grant_type', valueString: 'client_credentials' },
    ]);
  });

  test('a refused token request (wrong secret) is a failed token event naming the client, never the secret', async () => {
    const since = new Date(Date.now() - 1000).toISOString();
    const response = await postToken({ grant_type: 'client_credentials', scope: 'system/Observation.rs' }, 'wrong');
    expect(response.status).toBe(401);
    const events = await auditEvents({ ...byClient(clientId), outcome: '4', date: `ge${since}` });
    expect(events).toHaveLength(1);
    expect(events[0].subtype?.[0].code).toBe('ITI-71');
    expect(events[0].outcomeDesc).toMatch(/^HTTP 401: invalid_client/);
    expect(JSON.stringify(events[0])).not.toContain('wrong');
  });

  test('a refused authorization request is a failed login naming the client', async () => {
    const unknownClient = `unknown-${crypto.randomBytes(4).toString('hex')}`;
    const query = new URLSearchParams({
      client_id: unknownClient,
      response_type: 'code',
      redirect_uri: 'https://app.example.org/callback',
      scope: 'openid',
    });
    const response = await fetch(`${context.server.auth.issuer}/authorize?${query}`, { redirect: 'manual' });
    expect(response.status).toBeGreaterThanOrEqual(400);
    const events = await auditEvents(byClient(unknownClient));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ subtype: [{ system: DCM, code: '110122' }], outcome: '4' });
    expect(events[0].outcomeDesc).toMatch(/invalid_client/);
  });

  test('a token minted in-process (no HTTP request) is recorded with its account', async () => {
    const accountId = `account-${crypto.randomBytes(4).toString('hex')}`;
    await issueUserToken(context.server, { accountId, scope: 'user/Observation.rs' });
    const events = await auditEvents({ altid: accountId });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ subtype: [{ code: 'ITI-71' }], outcome: '0' });
    expect(events[0].agent?.[0]).toMatchObject({ altId: accountId, requestor: true });
  });

  test('recordLogin and recordLogout, through the server audit log', async () => {
    const email = `nurse-${crypto.randomBytes(4).toString('hex')}@example.org`;
    recordLogin(context.server.audit, {
      email,
      ip: '10.1.2.3',
      outcome: 'failure',
      reason: 'unknown user or wrong password',
    });
    recordLogin(context.server.audit, {
      email,
      accountId: 'acc-login',
      fhirUser: 'Practitioner/login-test',
      clientId: 'clinician-app',
      ip: '10.1.2.3',
      userAgent: 'browser',
      outcome: 'success',
    });
    recordLogout(context.server.audit, { accountId: 'acc-login', fhirUser: 'Practitioner/login-test' });
    const logins = await auditEvents({ 'agent-name': email, subtype: `${DCM}|110122` });
    logins.sort((a, b) => String(b.outcome).localeCompare(String(a.outcome))); // the failure first
    expect(logins.map((e) => [e.outcome, e.outcomeDesc])).toEqual([
      ['4', 'unknown user or wrong password'],
      ['0', undefined],
    ]);
    expect(logins[1].agent?.[0]).toMatchObject({
      who: { reference: 'Practitioner/login-test' },
      altId: 'acc-login',
      name: email,
      network: { address: '10.1.2.3' },
    });
    expect(await auditEvents({ agent: 'Practitioner/login-test', subtype: `${DCM}|110123` })).toHaveLength(1);
  });

  test('recordLogin only queues: it never waits for the database', () => {
    const entries: AuditEntry[] = [];
    const audit: AuditLog = {
      record: (e) => void entries.push(e),
      flush: () => Promise.reject(new Error('not called')),
      close: () => Promise.reject(new Error('not called')),
    };
    expect(recordLogin(audit, { outcome: 'success', accountId: 'a' })).toBeUndefined();
    expect(entries).toMatchObject([{ action: 'login', outcome: 'success', agent: { accountId: 'a' } }]);
  });
});
