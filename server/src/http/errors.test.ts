// Bad input over HTTP: every error is an OperationOutcome with the right 4xx status, and nothing is half-written.
import { randomUUID } from 'node:crypto';
import type { OperationOutcome, Patient } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import { fhirFetch, useTestServer } from '../testing/testServer.ts';

const ctx = useTestServer({ RPM_MAX_BODY_BYTES: String(64 * 1024) });

async function expectOutcome(res: Response, status: number): Promise<OperationOutcome> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/fhir+json');
  const body = (await res.json()) as OperationOutcome;
  expect(body.resourceType).toBe('OperationOutcome');
  expect(body.issue?.[0]?.severity).toBe('error');
  return body;
}

describe('authentication', () => {
  test('no token, a garbage token: 401 with WWW-Authenticate', async () => {
    const none = await fetch(`${ctx.server.fhirBaseUrl}/Patient`);
    await expectOutcome(none, 401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const garbage = await fetch(`${ctx.server.fhirBaseUrl}/Patient`, {
      headers: { authorization: 'Bearer not-a-token' },
    });
    await expectOutcome(garbage, 401);
  });

  test('a token narrowed to system/Observation.rs may search Observations but not write or read Patients (403)', async () => {
    const tokenRes = await fetch(ctx.server.tokenUrl, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from('rpm-admin:rpm-admin-secret').toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials&scope=system/Observation.rs',
    });
    expect(tokenRes.status).toBe(200);
    const narrow = fhirFetch(ctx.server, ((await tokenRes.json()) as { access_token: string }).access_token);
    expect((await narrow('Observation?_count=1')).status).toBe(200);
    await expectOutcome(await narrow('Patient?_count=1'), 403);
    await expectOutcome(
      await narrow('Observation', { method: 'POST', body: JSON.stringify({ resourceType: 'Observation' }) }),
      403
    );
    await expectOutcome(
      await narrow('', {
        method: 'POST',
        body: JSON.stringify({
          resourceType: 'Bundle',
          type: 'transaction',
          entry: [{ resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } }],
        }),
      }),
      403
    );
  });

  test('metadata is public', async () => {
    const res = await fetch(`${ctx.server.fhirBaseUrl}/metadata`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { resourceType: string }).resourceType).toBe('CapabilityStatement');
  });
});

describe('malformed requests', () => {
  test('malformed JSON is 400', async () => {
    await expectOutcome(await ctx.api('Patient', { method: 'POST', body: '{"resourceType": "Patient",' }), 400);
  });

  test('a body whose resourceType differs from the URL is 400', async () => {
    await expectOutcome(
      await ctx.api('Patient', { method: 'POST', body: JSON.stringify({ resourceType: 'Observation' }) }),
      400
    );
  });

  test('an unknown resource type in the URL is 404 and in a body is 400', async () => {
    await expectOutcome(await ctx.api('Spaceship/1'), 404);
    await expectOutcome(
      await ctx.api('Spaceship', { method: 'POST', body: JSON.stringify({ resourceType: 'Spaceship' }) }),
      404
    );
  });

  test('a resource that breaks the base definition is refused and not stored', async () => {
    const family = `Invalid${randomUUID().slice(0, 8)}`;
    const res = await ctx.api('Patient', {
      method: 'POST',
      body: JSON.stringify({ resourceType: 'Patient', name: [{ family }], gender: 42, notAnElement: true }),
    });
    expect([400, 422]).toContain(res.status);
    await expectOutcome(res, res.status);
    expect(await ctx.medplum.searchResources('Patient', { family })).toHaveLength(0);
  });

  test('a non-JSON content type is 415', async () => {
    const res = await ctx.api('Patient', {
      method: 'POST',
      headers: { 'content-type': 'application/xml' },
      body: '<Patient xmlns="http://hl7.org/fhir"/>',
    });
    await expectOutcome(res, 415);
  });

  test('a body over the size limit is 413', async () => {
    const big = JSON.stringify({ resourceType: 'Patient', name: [{ family: 'x'.repeat(100 * 1024) }] });
    await expectOutcome(await ctx.api('Patient', { method: 'POST', body: big }), 413);
  });

  test('a method the path does not support is 405', async () => {
    await expectOutcome(await ctx.api('metadata', { method: 'DELETE' }), 405);
  });

  test('a deleted resource is 410', async () => {
    const p = await ctx.medplum.createResource<Patient>({ resourceType: 'Patient' });
    await ctx.medplum.deleteResource('Patient', p.id as string);
    await expectOutcome(await ctx.api(`Patient/${p.id}`), 410);
  });

  test('a stale If-Match is 412', async () => {
    const p = await ctx.medplum.createResource<Patient>({ resourceType: 'Patient' });
    await ctx.medplum.updateResource({ ...p, active: true });
    await expectOutcome(
      await ctx.api(`Patient/${p.id}`, {
        method: 'PUT',
        headers: { 'if-match': `W/"${p.meta?.versionId}"` },
        body: JSON.stringify(p),
      }),
      412
    );
  });
});

describe('search input', () => {
  test('a search across all types (not offered in the CapabilityStatement) is a clear 400', async () => {
    const outcome = await expectOutcome(await ctx.api('?_type=Patient,Observation'), 400);
    expect(JSON.stringify(outcome)).toContain('search one type');
  });

  test('unknown parameters are ignored by default and refused with Prefer: handling=strict', async () => {
    const lenient = await ctx.api('Patient?not-a-param=1&_count=1');
    expect(lenient.status).toBe(200);
    const strict = await ctx.api('Patient?not-a-param=1', { headers: { prefer: 'handling=strict' } });
    const outcome = await expectOutcome(strict, 400);
    expect(JSON.stringify(outcome)).toContain('not-a-param');
  });

  test.each([
    ["family=' OR 1=1 --"],
    ['family=Robert%27);DROP TABLE resource;--'],
    ['_id=1%27%20OR%20%271%27=%271'],
    ['birthdate=2024-13-45'],
    ['birthdate=gt%27;select'],
    ['_count=-1'],
    ['_count=abc'],
    ['_sort=%27;drop'],
    ['identifier=%00%00'],
    ['general-practitioner:Practitioner.name=x%27--'],
    ['_has:Observation:patient:code=%27;--'],
  ])('hostile search %s never gives a 500 and leaves data intact', async (query) => {
    const res = await ctx.api(`Patient?${query}`);
    expect(res.status).toBeLessThan(500);
    if (res.status >= 400) {
      await expectOutcome(res, res.status);
    }
    expect((await ctx.api('Patient?_count=1')).status).toBe(200);
  });

  test('hostile ids in the path never give a 500', async () => {
    for (const id of ["1' OR '1'='1", '../../etc/passwd', 'x'.repeat(500), '%00']) {
      const res = await ctx.api(`Patient/${encodeURIComponent(id)}`);
      expect([400, 404]).toContain(res.status);
    }
  });
});
