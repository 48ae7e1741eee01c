// The FHIR REST interactions through HTTP with a real FHIR client: CRUD, versions, patch, history, conditional writes.
import { randomUUID } from 'node:crypto';
import { OperationOutcomeError, getStatus } from '@medplum/core';
import type { Bundle, Observation, Patient } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import { useTestServer } from '../testing/testServer.ts';

const ctx = useTestServer();

function newPatient(extra: Partial<Patient> = {}): Patient {
  return {
    resourceType: 'Patient',
    identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: randomUUID() }],
    name: [{ family: 'Okafor', given: ['Grace'] }],
    birthDate: '1948-03-12',
    ...extra,
  };
}

async function statusOf(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
    return 200;
  } catch (err) {
    return getStatus((err as OperationOutcomeError).outcome);
  }
}

describe('create, read, update, delete', () => {
  test('create assigns id, version and lastUpdated and returns 201 with Location and ETag', async () => {
    const res = await ctx.api('Patient', {
      method: 'POST',
      body: JSON.stringify({ ...newPatient(), id: 'client-chosen' }),
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as Patient;
    expect(body.id).not.toBe('client-chosen');
    expect(body.meta?.versionId).toBeTruthy();
    expect(body.meta?.lastUpdated).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(res.headers.get('location')).toBe(
      `${ctx.server.fhirBaseUrl}/Patient/${body.id}/_history/${body.meta?.versionId}`
    );
    expect(res.headers.get('etag')).toBe(`W/"${body.meta?.versionId}"`);
    expect(res.headers.get('content-type')).toContain('application/fhir+json');
  });

  test('read returns the stored resource; vread returns each version', async () => {
    const created = await ctx.medplum.createResource(newPatient());
    const read = await ctx.medplum.readResource('Patient', created.id as string);
    expect(read).toEqual(created);
    const updated = await ctx.medplum.updateResource({ ...created, gender: 'female' });
    expect(updated.meta?.versionId).not.toBe(created.meta?.versionId);
    const v1 = await ctx.medplum.readVersion('Patient', created.id as string, created.meta?.versionId as string);
    expect(v1.gender).toBeUndefined();
    const v2 = await ctx.medplum.readVersion('Patient', created.id as string, updated.meta?.versionId as string);
    expect(v2.gender).toBe('female');
  });

  test('update with If-Match succeeds for the current version and is refused (412) for a stale one', async () => {
    const created = await ctx.medplum.createResource(newPatient());
    const ok = await ctx.api(`Patient/${created.id}`, {
      method: 'PUT',
      headers: { 'if-match': `W/"${created.meta?.versionId}"` },
      body: JSON.stringify({ ...created, active: true }),
    });
    expect(ok.status).toBe(200);
    const stale = await ctx.api(`Patient/${created.id}`, {
      method: 'PUT',
      headers: { 'if-match': `W/"${created.meta?.versionId}"` },
      body: JSON.stringify({ ...created, active: false }),
    });
    expect(stale.status).toBe(412);
    expect(((await stale.json()) as { resourceType: string }).resourceType).toBe('OperationOutcome');
    expect((await ctx.medplum.readResource('Patient', created.id as string)).active).toBe(true);
  });

  test('an update that changes nothing keeps the version', async () => {
    const created = await ctx.medplum.createResource(newPatient());
    const same = await ctx.medplum.updateResource(created);
    expect(same.meta?.versionId).toBe(created.meta?.versionId);
  });

  test('update as create with a client-chosen id', async () => {
    const id = `grace-${randomUUID()}`;
    const res = await ctx.api(`Patient/${id}`, { method: 'PUT', body: JSON.stringify({ ...newPatient(), id }) });
    expect(res.status).toBe(201);
    expect((await ctx.medplum.readResource('Patient', id)).id).toBe(id);
  });

  test('update with a body id that differs from the URL is 400', async () => {
    const created = await ctx.medplum.createResource(newPatient());
    const res = await ctx.api(`Patient/${created.id}`, {
      method: 'PUT',
      body: JSON.stringify({ ...created, id: 'other' }),
    });
    expect(res.status).toBe(400);
  });

  test('delete makes reads answer 410 Gone, keeps history, and a search no longer finds it', async () => {
    const created = await ctx.medplum.createResource(newPatient());
    await ctx.medplum.deleteResource('Patient', created.id as string);
    expect(await statusOf(ctx.medplum.readResource('Patient', created.id as string))).toBe(410);
    const history = await ctx.medplum.readHistory('Patient', created.id as string);
    expect(history.entry).toHaveLength(2);
    expect(history.entry?.[0].request?.method).toBe('DELETE');
    const found = await ctx.medplum.search('Patient', { _id: created.id as string });
    expect(found.entry ?? []).toHaveLength(0);
  });

  test('reading something that never existed is 404', async () => {
    expect(await statusOf(ctx.medplum.readResource('Patient', randomUUID()))).toBe(404);
  });
});

describe('patch', () => {
  test('JSON Patch changes the resource and makes a new version', async () => {
    const created = await ctx.medplum.createResource(newPatient());
    const patched = await ctx.medplum.patchResource('Patient', created.id as string, [
      { op: 'add', path: '/gender', value: 'female' },
      { op: 'replace', path: '/name/0/family', value: 'Okafor-Smith' },
    ]);
    expect(patched.gender).toBe('female');
    expect(patched.name?.[0].family).toBe('Okafor-Smith');
    expect(patched.meta?.versionId).not.toBe(created.meta?.versionId);
  });

  test('a failing test operation is 400 and changes nothing', async () => {
    const created = await ctx.medplum.createResource(newPatient());
    const status = await statusOf(
      ctx.medplum.patchResource('Patient', created.id as string, [
        { op: 'test', path: '/birthDate', value: '2000-01-01' },
        { op: 'add', path: '/gender', value: 'male' },
      ])
    );
    expect(status).toBe(400);
    expect((await ctx.medplum.readResource('Patient', created.id as string)).gender).toBeUndefined();
  });

  test('a patch that changes the id is refused', async () => {
    const created = await ctx.medplum.createResource(newPatient());
    const status = await statusOf(
      ctx.medplum.patchResource('Patient', created.id as string, [{ op: 'replace', path: '/id', value: 'x' }])
    );
    expect(status).toBe(400);
  });
});

describe('history', () => {
  test('instance, type and system history list versions newest first, with _since and paging', async () => {
    const before = new Date(Date.now() - 1000).toISOString();
    const created = await ctx.medplum.createResource(newPatient());
    await ctx.medplum.updateResource({ ...created, active: true });
    await ctx.medplum.updateResource({ ...created, active: false });

    const instance = await ctx.medplum.readHistory('Patient', created.id as string);
    expect(instance.type).toBe('history');
    expect(instance.entry?.map((e) => e.request?.method)).toEqual(['PUT', 'PUT', 'POST']);
    expect(instance.entry?.[0].response?.etag).toMatch(/^W\//);

    const typeLevel = (await (
      await ctx.api(`Patient/_history?_since=${encodeURIComponent(before)}&_count=2`)
    ).json()) as Bundle;
    expect(typeLevel.type).toBe('history');
    expect(typeLevel.entry).toHaveLength(2);
    expect(typeLevel.entry?.every((e) => e.resource?.resourceType === 'Patient')).toBe(true);
    expect(typeLevel.link?.find((l) => l.relation === 'next')?.url).toContain('_offset=2');

    const system = (await (await ctx.api(`_history?_since=${encodeURIComponent(before)}`)).json()) as Bundle;
    const ids = system.entry?.map((e) => e.resource?.id);
    expect(ids).toContain(created.id);
  });

  test('a malformed _since is 400', async () => {
    expect((await ctx.api('_history?_since=yesterday')).status).toBe(400);
  });
});

describe('conditional interactions', () => {
  test('conditional create (If-None-Exist) creates once, then returns the existing resource with 200', async () => {
    const patient = newPatient();
    const criteria = `identifier=${patient.identifier?.[0].system}|${patient.identifier?.[0].value}`;
    const first = await ctx.api('Patient', {
      method: 'POST',
      headers: { 'if-none-exist': criteria },
      body: JSON.stringify(patient),
    });
    expect(first.status).toBe(201);
    const second = await ctx.api('Patient', {
      method: 'POST',
      headers: { 'if-none-exist': criteria },
      body: JSON.stringify(patient),
    });
    expect(second.status).toBe(200);
    expect(((await second.json()) as Patient).id).toBe(((await first.json()) as Patient).id);
  });

  test('concurrent conditional creates with the same criteria create exactly one resource', async () => {
    const patient = newPatient();
    const value = patient.identifier?.[0].value as string;
    const criteria = `identifier=https://fhir.nhs.uk/Id/nhs-number|${value}`;
    const results = await Promise.all(
      Array.from({ length: 6 }, () =>
        ctx.api('Patient', { method: 'POST', headers: { 'if-none-exist': criteria }, body: JSON.stringify(patient) })
      )
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 201]);
    const found = await ctx.medplum.searchResources('Patient', { identifier: value });
    expect(found).toHaveLength(1);
  });

  test('conditional update creates when nothing matches, updates one match, and is 412 for several', async () => {
    const value = randomUUID();
    const url = `Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|${value}`;
    const body = { ...newPatient(), identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value }] };
    const created = await ctx.api(url, { method: 'PUT', body: JSON.stringify(body) });
    expect(created.status).toBe(201);
    const updated = await ctx.api(url, { method: 'PUT', body: JSON.stringify({ ...body, gender: 'female' }) });
    expect(updated.status).toBe(200);
    expect(((await updated.json()) as Patient).gender).toBe('female');

    const family = `Dup${randomUUID().slice(0, 8)}`;
    await ctx.medplum.createResource(newPatient({ name: [{ family }] }));
    await ctx.medplum.createResource(newPatient({ name: [{ family }] }));
    const ambiguous = await ctx.api(`Patient?family=${family}`, { method: 'PUT', body: JSON.stringify(newPatient()) });
    expect(ambiguous.status).toBe(412);
  });

  test('conditional delete removes the single match', async () => {
    const created = await ctx.medplum.createResource(newPatient());
    const value = created.identifier?.[0].value;
    const res = await ctx.api(`Patient?identifier=${value}`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    expect(await statusOf(ctx.medplum.readResource('Patient', created.id as string))).toBe(410);
  });
});

describe('Observation round trip', () => {
  test('a vital-sign Observation referencing a Patient is stored and found by patient and code', async () => {
    const patient = await ctx.medplum.createResource(newPatient());
    const obs = await ctx.medplum.createResource<Observation>({
      resourceType: 'Observation',
      status: 'final',
      category: [
        { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] },
      ],
      code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }] },
      subject: { reference: `Patient/${patient.id}` },
      effectiveDateTime: new Date().toISOString(),
      valueQuantity: { value: 88, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
    });
    const found = await ctx.medplum.searchResources('Observation', {
      subject: `Patient/${patient.id}`,
      code: 'http://loinc.org|8867-4',
    });
    expect(found.map((o) => o.id)).toEqual([obs.id]);
  });
});
