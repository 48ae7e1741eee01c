// Every FHIR API request is recorded in an AuditEvent: reads (coalesced per caller), searches, writes, refusals.
import crypto from 'node:crypto';
import http from 'node:http';
import type { AuditEvent, Bundle, Observation, Patient } from '@medplum/fhirtypes';
import express from 'express';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Caller } from '../auth/authenticate.ts';
import { createPool } from '../db/pool.ts';
import { PostgresRepository } from '../fhir/repository/postgresRepository.ts';
import { parseSearchQuery } from '../fhir/search/index.ts';
import { startTestServer, useTestServer } from '../testing/testServer.ts';
import { OAUTH_CLIENT_SYSTEM, USER_AGENT_EXTENSION, type AuditEntry } from './auditEvent.ts';
import type { AuditLog } from './auditLog.ts';
import { auditRequests } from './auditRequests.ts';

const context = useTestServer();
let patient: Patient & { id: string };

/** Audit searches straight from the database, so looking does not add events of its own. */
async function auditEvents(query: Record<string, string>): Promise<AuditEvent[]> {
  await context.server.audit.flush();
  const repo = new PostgresRepository(context.server.pool, { fhirBaseUrl: context.server.fhirBaseUrl });
  const bundle = await repo.search(parseSearchQuery('AuditEvent', { _count: '100', ...query }));
  return (bundle.entry ?? []).map((e) => e.resource as AuditEvent);
}

function decodedQuery(event: AuditEvent): string | undefined {
  const query = event.entity?.find((e) => e.query)?.query;
  return query ? Buffer.from(query, 'base64').toString('utf8') : undefined;
}

function unique(prefix: string): string {
  return `${prefix}-${crypto.randomBytes(5).toString('hex')}`;
}

beforeAll(async () => {
  const response = await context.api('Patient', {
    method: 'POST',
    body: JSON.stringify({ resourceType: 'Patient', name: [{ family: unique('Audit') }] }),
  });
  expect(response.status).toBe(201);
  patient = (await response.json()) as Patient & { id: string };
});

describe('HTTP audit', () => {
  test('a read: the resource, the patient, the client and where the request came from', async () => {
    const response = await context.api(`Patient/${patient.id}`, { headers: { 'user-agent': 'audit-test/1.0' } });
    expect(response.status).toBe(200);
    const [event, ...others] = await auditEvents({
      entity: `Patient/${patient.id}`,
      subtype: 'read',
      address: '127.0.0.1',
    });
    expect(others).toEqual([]);
    expect(event).toMatchObject({
      type: { code: 'rest' },
      subtype: [{ code: 'read' }],
      action: 'R',
      outcome: '0',
      source: { observer: { display: 'RPM FHIR server' } },
    });
    expect(event.entity).toEqual([
      expect.objectContaining({
        what: { reference: `Patient/${patient.id}` },
        role: expect.objectContaining({ code: '1' }),
      }),
    ]);
    expect(event.agent).toEqual([
      expect.objectContaining({
        who: expect.objectContaining({ identifier: { system: OAUTH_CLIENT_SYSTEM, value: 'rpm-admin' } }),
        requestor: true,
        network: { address: '127.0.0.1', type: '2' },
        extension: [{ url: USER_AGENT_EXTENSION, valueString: 'audit-test/1.0' }],
      }),
    ]);
  });

  test("one caller's reads share an AuditEvent (an entity each); a 404 read is a failure event of its own", async () => {
    const since = new Date(Date.now() - 1000).toISOString();
    const userAgent = unique('coalesce-test');
    const missing = unique('missing');
    const headers = { 'user-agent': userAgent };
    for (let i = 0; i < 3; i++) {
      expect((await context.api(`Patient/${patient.id}`, { headers })).status).toBe(200);
    }
    expect((await context.api(`Observation/${missing}`, { headers })).status).toBe(404);
    const mine = (await auditEvents({ date: `ge${since}`, _count: '1000' })).filter((e) =>
      e.agent?.some((a) => a.extension?.[0]?.valueString === userAgent)
    );
    const successes = mine.filter((e) => e.outcome === '0');
    // Normally one event; two when the flush timer happened to fire between the requests.
    expect(successes.length).toBeGreaterThanOrEqual(1);
    expect(successes.length).toBeLessThanOrEqual(2);
    expect(successes.flatMap((e) => e.entity?.map((x) => [x.what?.reference, x.role?.code]))).toEqual([
      [`Patient/${patient.id}`, '1'],
      [`Patient/${patient.id}`, '1'],
      [`Patient/${patient.id}`, '1'],
    ]);
    const failures = mine.filter((e) => e.outcome !== '0');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({
      subtype: [{ code: 'read' }],
      outcome: '4',
      outcomeDesc: 'HTTP 404',
      entity: [{ what: { reference: `Observation/${missing}` } }],
    });
    const byPatient = await auditEvents({ patient: `Patient/${patient.id}`, date: `ge${since}` });
    expect(byPatient.map((e) => e.id)).toEqual(expect.arrayContaining(successes.map((e) => e.id)));
    const byEntity = await auditEvents({ entity: `Patient/${patient.id}`, date: `ge${since}` });
    expect(byEntity.map((e) => e.id)).toEqual(expect.arrayContaining(successes.map((e) => e.id)));
  });

  test('a search: the type, the query (base64) and the patient it names', async () => {
    const query = `subject=Patient/${patient.id}&code=http://loinc.org|8867-4&_count=5`;
    expect((await context.api(`Observation?${query}`)).status).toBe(200);
    const events = await auditEvents({ patient: `Patient/${patient.id}`, subtype: 'search-type' });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ action: 'E', outcome: '0' });
    expect(events[0].entity?.[0].type?.code).toBe('Observation');
    expect(decodedQuery(events[0])).toBe(query);
  });

  test('POST _search records the form as the query', async () => {
    const marker = unique('form');
    const response = await context.api('Observation/_search', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `identifier=${marker}`,
    });
    expect(response.status).toBe(200);
    const events = await auditEvents({ 'entity-type': 'Observation', subtype: 'search-type', _sort: '-date' });
    expect(events.map(decodedQuery)).toContain(`identifier=${marker}`);
  });

  test('a create names what was created (from Location), and a delete names what was deleted', async () => {
    const observation: Observation = {
      resourceType: 'Observation',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
      subject: { reference: `Patient/${patient.id}` },
      valueQuantity: { value: 72, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
    };
    const created = await context.api('Observation', { method: 'POST', body: JSON.stringify(observation) });
    expect(created.status).toBe(201);
    const { id, meta } = (await created.json()) as Observation;
    const [create] = await auditEvents({ entity: `Observation/${id}`, subtype: 'create' });
    expect(create).toMatchObject({ action: 'C', outcome: '0' });
    expect(create.entity?.[0].what?.reference).toBe(`Observation/${id}/_history/${meta?.versionId}`);
    expect(create.entity?.[1]).toMatchObject({ what: { reference: `Patient/${patient.id}` }, role: { code: '1' } });

    expect((await context.api(`Observation/${id}`, { method: 'DELETE' })).status).toBe(200);
    const [deleted] = await auditEvents({ entity: `Observation/${id}`, subtype: 'delete' });
    expect(deleted).toMatchObject({
      action: 'D',
      outcome: '0',
      entity: [{ what: { reference: `Observation/${id}` } }],
    });

    expect((await context.api(`Observation/${id}`)).status).toBe(410);
    const [gone] = await auditEvents({ entity: `Observation/${id}`, subtype: 'read' });
    expect(gone).toMatchObject({ outcome: '4', outcomeDesc: 'HTTP 410' });
  });

  test('a request refused by authentication (401) is recorded, without a caller', async () => {
    const marker = unique('refused');
    const since = new Date(Date.now() - 1000).toISOString();
    const response = await fetch(`${context.server.fhirBaseUrl}/Observation?_id=${marker}`, {
      headers: { authorization: 'Bearer not-a-token' },
    });
    expect(response.status).toBe(401);
    const events = await auditEvents({ outcome: '4', 'entity-type': 'Observation', date: `ge${since}` });
    const refused = events.filter((e) => decodedQuery(e) === `_id=${marker}`);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ outcomeDesc: 'HTTP 401', subtype: [{ code: 'search-type' }] });
    expect(refused[0].agent).toEqual([
      {
        requestor: true,
        network: { address: expect.stringMatching(/127\.0\.0\.1/), type: '2' },
        extension: expect.any(Array),
      },
    ]);
  });

  test('a transaction Bundle is one transaction event', async () => {
    const family = unique('Tx');
    const bundle: Bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { request: { method: 'POST', url: 'Patient' }, resource: { resourceType: 'Patient', name: [{ family }] } },
      ],
    };
    const since = new Date(Date.now() - 1000).toISOString();
    expect((await context.api('', { method: 'POST', body: JSON.stringify(bundle) })).status).toBe(200);
    const events = await auditEvents({ subtype: 'transaction', date: `ge${since}` });
    expect(events.length).toBeGreaterThanOrEqual(1);
    expect(events[0]).toMatchObject({ action: 'E', outcome: '0' });
  });

  test('metadata is not audited; the log is searchable through the API by patient', async () => {
    const since = new Date(Date.now() - 1000).toISOString();
    const marker = unique('metadata-client');
    expect((await fetch(`${context.server.fhirBaseUrl}/metadata`, { headers: { 'user-agent': marker } })).status).toBe(
      200
    );
    const recent = await auditEvents({ date: `ge${since}`, _count: '1000' });
    expect(recent.filter((e) => e.agent?.some((a) => a.extension?.[0]?.valueString === marker))).toEqual([]);

    const response = await context.api(`AuditEvent?patient=Patient/${patient.id}&_count=0`);
    expect(response.status).toBe(200);
    expect(((await response.json()) as Bundle).total).toBeGreaterThanOrEqual(4);
  });
});

describe('server shutdown', () => {
  test('close() writes the queued audit events before the pool ends', async () => {
    const server = await startTestServer();
    const marker = unique('shutdown');
    await fetch(`${server.fhirBaseUrl}/Observation?_id=${marker}`); // 401: no token
    await server.close();
    const pool = createPool(process.env.RPM_TEST_DATABASE_URL as string, 1);
    try {
      // Other test files write AuditEvents into the same database at the same time: look for this one's query
      // directly (it is stored base64-encoded) rather than through a search page they could crowd.
      const encoded = Buffer.from(`_id=${marker}`).toString('base64');
      const { rows } = await pool.query(
        `SELECT content FROM resource WHERE resource_type = 'AuditEvent' AND strpos(content, $1) > 0`,
        [encoded]
      );
      const events = rows.map((row) => JSON.parse(row.content) as AuditEvent);
      expect(events.filter((e) => decodedQuery(e) === `_id=${marker}`)).toHaveLength(1);
    } finally {
      await pool.end();
    }
  });
});

describe('auditRequests middleware', () => {
  const entries: AuditEntry[] = [];
  const audit: AuditLog = { record: (e) => void entries.push(e), flush: async () => {}, close: async () => {} };
  let origin: string;
  let listener: http.Server;

  beforeAll(async () => {
    const app = express();
    const caller: Caller = {
      clientId: 'clinician-app',
      scopes: ['user/*.rs'],
      subject: 'account-7',
      fhirUser: 'Practitioner/p7',
      patient: 'launch-patient',
      expiresAt: 0,
    };
    app.use(
      '/fhir/R4',
      auditRequests(audit),
      express.json({ type: ['application/json', 'application/fhir+json'] }),
      (_req, res, next) => {
        res.locals.caller = caller;
        next();
      },
      async (req, res) => {
        if (req.path === '/Observation/slow') {
          await new Promise((resolve) => setTimeout(resolve, 300));
        }
        res.status(200).json({});
      }
    );
    listener = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => listener.once('listening', resolve));
    origin = `http://127.0.0.1:${(listener.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => listener.close(() => resolve())));

  test("the caller's fhirUser, account and client; the launch patient when the request names none", async () => {
    entries.length = 0;
    await fetch(`${origin}/fhir/R4/Observation/o1`);
    await expect.poll(() => entries.length).toBe(1);
    expect(entries[0]).toMatchObject({
      action: 'read',
      outcome: 'success',
      entity: { reference: 'Observation/o1' },
      patient: 'Patient/launch-patient',
      agent: { who: 'Practitioner/p7', accountId: 'account-7', clientId: 'clinician-app' },
    });
  });

  test('POST Observation/$lastn is recorded with the query its Parameters stand for (whose data it read)', async () => {
    entries.length = 0;
    await fetch(`${origin}/fhir/R4/Observation/$lastn`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json' },
      body: JSON.stringify({
        resourceType: 'Parameters',
        parameter: [
          { name: 'subject', valueReference: { reference: 'Patient/p1' } },
          { name: 'category', valueString: 'vital-signs' },
          { name: 'max', valueInteger: 2 },
        ],
      }),
    });
    await expect.poll(() => entries.length).toBe(1);
    expect(entries[0]).toMatchObject({
      action: 'operation',
      entity: {
        type: 'Observation',
        query: 'subject=Patient%2Fp1&category=vital-signs&max=2',
        detail: { operation: '$lastn' },
      },
      patient: 'Patient/p1',
    });
  });

  test('OPTIONS is not recorded', async () => {
    entries.length = 0;
    await fetch(`${origin}/fhir/R4/Observation`, { method: 'OPTIONS' });
    await fetch(`${origin}/fhir/R4/Observation/o2`);
    await expect.poll(() => entries.length).toBe(1);
    expect(entries[0].entity?.reference).toBe('Observation/o2');
  });

  test('a request the client abandons is recorded as a failure', async () => {
    entries.length = 0;
    await fetch(`${origin}/fhir/R4/Observation/slow`, { signal: AbortSignal.timeout(50) }).catch(() => undefined);
    await expect.poll(() => entries.length).toBe(1);
    expect(entries[0]).toMatchObject({ action: 'read', outcome: 'failure', status: 499 });
  });
});
