// Batch and transaction Bundles over HTTP: atomic rollback, urn:uuid references, and the PHD gateway upload pattern.
import { randomUUID } from 'node:crypto';
import type { Bundle, BundleEntry, Device, Observation, Patient } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import { useTestServer } from '../../testing/testServer.ts';

const ctx = useTestServer();

const PHD_OBSERVATION_ID = 'http://hl7.org/fhir/uv/phd/StructureDefinition/PhdBaseObservation';
const EUI64 = 'urn:oid:1.2.840.10004.1.1.1.0.0.1.0.0.1.2680';

function heartRate(
  subject: string,
  device: string | undefined,
  when: string,
  value: number,
  identifier?: string
): Observation {
  return {
    resourceType: 'Observation',
    status: 'final',
    ...(identifier ? { identifier: [{ system: PHD_OBSERVATION_ID, value: identifier }] } : {}),
    category: [
      { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] },
    ],
    code: {
      coding: [
        { system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' },
        { system: 'urn:iso:std:iso:11073:10101', code: '149546' },
      ],
    },
    subject: { reference: subject },
    ...(device ? { device: { reference: device } } : {}),
    effectiveDateTime: when,
    valueQuantity: { value, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
  };
}

/** A gateway upload as the HL7 Personal Health Device IG describes it. */
function phdBundle(nhsNumber: string, eui64: string, readings: { when: string; value: number }[]): Bundle {
  const patientUrl = `urn:uuid:${randomUUID()}`;
  const deviceUrl = `urn:uuid:${randomUUID()}`;
  const patient: Patient = {
    resourceType: 'Patient',
    identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: nhsNumber }],
  };
  const device: Device = {
    resourceType: 'Device',
    identifier: [{ system: EUI64, value: eui64 }],
    manufacturer: 'Acme Medical',
    serialNumber: eui64,
  };
  const entries: BundleEntry[] = [
    {
      fullUrl: patientUrl,
      resource: patient,
      request: {
        method: 'POST',
        url: 'Patient',
        ifNoneExist: `identifier=https://fhir.nhs.uk/Id/nhs-number|${nhsNumber}`,
      },
    },
    {
      fullUrl: deviceUrl,
      resource: device,
      request: { method: 'POST', url: 'Device', ifNoneExist: `identifier=${EUI64}|${eui64}` },
    },
  ];
  for (const r of readings) {
    const identifier = `${eui64}-${nhsNumber}-${r.when}-149546`;
    entries.push({
      fullUrl: `urn:uuid:${randomUUID()}`,
      resource: heartRate(patientUrl, deviceUrl, r.when, r.value, identifier),
      request: { method: 'POST', url: 'Observation', ifNoneExist: `identifier=${PHD_OBSERVATION_ID}|${identifier}` },
    });
  }
  return { resourceType: 'Bundle', type: 'transaction', entry: entries };
}

describe('transaction', () => {
  test('creates everything and resolves urn:uuid references to the new ids', async () => {
    const patientUrl = `urn:uuid:${randomUUID()}`;
    const bundle: Bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: patientUrl,
          resource: { resourceType: 'Patient', name: [{ family: 'Hughes' }] },
          request: { method: 'POST', url: 'Patient' },
        },
        {
          resource: heartRate(patientUrl, undefined, new Date().toISOString(), 71),
          request: { method: 'POST', url: 'Observation' },
        },
      ],
    };
    const result = await ctx.medplum.executeBatch(bundle);
    expect(result.type).toBe('transaction-response');
    expect(result.entry?.map((e) => e.response?.status)).toEqual(['201', '201']);
    const patientId = (result.entry?.[0].resource as Patient).id;
    const observation = result.entry?.[1].resource as Observation;
    expect(observation.subject?.reference).toBe(`Patient/${patientId}`);
  });

  test('one failing entry rolls back every entry', async () => {
    const family = `Rollback${randomUUID().slice(0, 8)}`;
    const res = await ctx.api('', {
      method: 'POST',
      body: JSON.stringify({
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          { resource: { resourceType: 'Patient', name: [{ family }] }, request: { method: 'POST', url: 'Patient' } },
          { resource: { resourceType: 'Patient', name: [{ family }] }, request: { method: 'POST', url: 'Patient' } },
          {
            resource: { resourceType: 'Observation', status: 'not-a-status', code: { text: 'x' } },
            request: { method: 'POST', url: 'Observation' },
          },
        ],
      }),
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(((await res.json()) as { resourceType: string }).resourceType).toBe('OperationOutcome');
    expect(await ctx.medplum.searchResources('Patient', { family })).toHaveLength(0);
  });

  test('a reference to a urn:uuid that is no entry of the transaction is refused (400), nothing written', async () => {
    const family = `Dangling${randomUUID().slice(0, 8)}`;
    const missing = `urn:uuid:${randomUUID()}`;
    const res = await ctx.api('', {
      method: 'POST',
      body: JSON.stringify({
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          { resource: { resourceType: 'Patient', name: [{ family }] }, request: { method: 'POST', url: 'Patient' } },
          {
            resource: heartRate(missing, undefined, '2025-03-01T09:00:00Z', 71),
            request: { method: 'POST', url: 'Observation' },
          },
        ],
      }),
    });
    const body = (await res.json()) as { resourceType: string; issue?: { details?: { text?: string } }[] };
    expect(res.status, JSON.stringify(body)).toBe(400);
    expect(body.resourceType).toBe('OperationOutcome');
    expect(JSON.stringify(body.issue)).toContain(`Observation.subject.reference is ${missing}`);
    expect(await ctx.medplum.searchResources('Patient', { family })).toHaveLength(0);
  });

  test('a single create naming a urn:uuid (meaningful only inside a Bundle) is refused (400)', async () => {
    const res = await ctx.api('Observation', {
      method: 'POST',
      body: JSON.stringify(heartRate(`urn:uuid:${randomUUID()}`, undefined, '2025-03-01T09:00:00Z', 72)),
    });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toContain('matches no entry of the transaction');
  });

  test('a failing update of a missing resource rolls back the creates before it', async () => {
    const family = `Rollback${randomUUID().slice(0, 8)}`;
    const res = await ctx.api('', {
      method: 'POST',
      body: JSON.stringify({
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          { resource: { resourceType: 'Patient', name: [{ family }] }, request: { method: 'POST', url: 'Patient' } },
          { request: { method: 'DELETE', url: `Patient/${randomUUID()}` } },
        ],
      }),
    });
    expect(res.status).toBe(404);
    expect(await ctx.medplum.searchResources('Patient', { family })).toHaveLength(0);
  });

  test('a batch keeps the entries that succeed and reports the ones that fail', async () => {
    const family = `Batch${randomUUID().slice(0, 8)}`;
    const result = await ctx.medplum.executeBatch({
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        { resource: { resourceType: 'Patient', name: [{ family }] }, request: { method: 'POST', url: 'Patient' } },
        { request: { method: 'GET', url: `Patient/${randomUUID()}` } },
      ],
    });
    expect(result.type).toBe('batch-response');
    expect(result.entry?.map((e) => e.response?.status)).toEqual(['201', '404']);
    expect(await ctx.medplum.searchResources('Patient', { family })).toHaveLength(1);
  });

  test('a Bundle of another type, or with too many entries, is refused with a 4xx', async () => {
    const wrongType = await ctx.api('', {
      method: 'POST',
      body: JSON.stringify({ resourceType: 'Bundle', type: 'collection', entry: [] }),
    });
    expect(wrongType.status).toBe(400);
    const tooMany = await ctx.api('', {
      method: 'POST',
      body: JSON.stringify({
        resourceType: 'Bundle',
        type: 'batch',
        entry: Array.from({ length: ctx.server.config.maxBundleEntries + 1 }, () => ({
          request: { method: 'GET', url: 'metadata' },
        })),
      }),
    });
    expect(tooMany.status).toBe(413);
  });
});

describe('Personal Health Device gateway upload', () => {
  test('posting the same gateway bundle twice stores exactly one copy of each reading, patient and device', async () => {
    const nhsNumber = `9${Math.floor(Math.random() * 1e9)}`.padEnd(10, '0');
    const eui64 = randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase();
    const start = Date.now() - 20 * 60_000;
    const readings = Array.from({ length: 20 }, (_, i) => ({
      when: new Date(start + i * 60_000).toISOString(),
      value: 60 + i,
    }));

    const first = await ctx.medplum.executeBatch(phdBundle(nhsNumber, eui64, readings));
    expect(first.entry?.map((e) => e.response?.status).every((s) => s === '201')).toBe(true);
    const second = await ctx.medplum.executeBatch(phdBundle(nhsNumber, eui64, readings));
    expect(second.entry?.map((e) => e.response?.status).every((s) => s === '200')).toBe(true);

    const patients = await ctx.medplum.searchResources('Patient', {
      identifier: `https://fhir.nhs.uk/Id/nhs-number|${nhsNumber}`,
    });
    expect(patients).toHaveLength(1);
    const devices = await ctx.medplum.searchResources('Device', { identifier: `${EUI64}|${eui64}` });
    expect(devices).toHaveLength(1);
    const observations = await ctx.medplum.searchResources('Observation', {
      subject: `Patient/${patients[0].id}`,
      _count: '100',
    });
    expect(observations).toHaveLength(20);
    expect(observations.every((o) => o.device?.reference === `Device/${devices[0].id}`)).toBe(true);
  });

  test('a later upload referencing the resolved ids directly adds only the new readings', async () => {
    const nhsNumber = `8${Math.floor(Math.random() * 1e9)}`.padEnd(10, '0');
    const eui64 = randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase();
    const when = new Date(Date.now() - 3_600_000).toISOString();
    const first = await ctx.medplum.executeBatch(phdBundle(nhsNumber, eui64, [{ when, value: 70 }]));
    const patientRef = `Patient/${(first.entry?.[0].resource as Patient).id}`;
    const deviceRef = `Device/${(first.entry?.[1].resource as Device).id}`;
    const later = new Date().toISOString();
    const identifier = `${eui64}-${nhsNumber}-${later}-149546`;
    const result = await ctx.medplum.executeBatch({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          resource: heartRate(patientRef, deviceRef, later, 75, identifier),
          request: {
            method: 'POST',
            url: 'Observation',
            ifNoneExist: `identifier=${PHD_OBSERVATION_ID}|${identifier}`,
          },
        },
      ],
    });
    expect(result.entry?.[0].response?.status).toBe('201');
    expect(await ctx.medplum.searchResources('Observation', { subject: patientRef })).toHaveLength(2);
  });
});
