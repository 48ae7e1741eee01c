// Writes naming missing resources, or readings from another patient's device, are refused whole; one lookup per write.
import { randomUUID } from 'node:crypto';
import type { Bundle, Device, Observation, OperationOutcome, Patient, Resource } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import type { Queryable } from '../../db/pool.ts';
import { useTestServer } from '../../testing/testServer.ts';
import { assertReferenceTargets, localReferences, type KnownResources } from './referenceTargets.ts';

const ctx = useTestServer();

const reading = (subject: string, extra: Partial<Observation> = {}): Observation => ({
  resourceType: 'Observation',
  status: 'final',
  identifier: [{ system: 'urn:test:reading', value: randomUUID() }],
  code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
  subject: { reference: subject },
  effectiveDateTime: new Date().toISOString(),
  valueQuantity: { value: 72, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
  ...extra,
});

async function create<T extends Resource>(resource: T): Promise<T & { id: string }> {
  const response = await ctx.api(resource.resourceType, { method: 'POST', body: JSON.stringify(resource) });
  expect(response.status, await response.clone().text()).toBe(201);
  return (await response.json()) as T & { id: string };
}

async function count(query: string): Promise<number> {
  const response = await ctx.api(`${query}&_summary=count`);
  return ((await response.json()) as Bundle).total as number;
}

async function expect422(response: Response, pattern: RegExp): Promise<OperationOutcome> {
  const outcome = (await response.json()) as OperationOutcome;
  expect(response.status, JSON.stringify(outcome)).toBe(422);
  expect(outcome.resourceType).toBe('OperationOutcome');
  expect(outcome.issue?.[0].details?.text).toMatch(pattern);
  return outcome;
}

describe('references to resources that do not exist', () => {
  test('a reading about Patient/does-not-exist is refused with 422 naming the element; nothing stored', async () => {
    const observation = reading('Patient/does-not-exist');
    const response = await ctx.api('Observation', { method: 'POST', body: JSON.stringify(observation) });
    const outcome = await expect422(response, /Patient\/does-not-exist, which does not exist/);
    expect(outcome.issue?.[0].expression).toEqual(['Observation.subject.reference']);
    expect(await count(`Observation?identifier=urn:test:reading|${observation.identifier?.[0].value}`)).toBe(0);
  });

  test('a deleted target counts as missing; an update that adds a missing reference is refused too', async () => {
    const patient = await create<Patient>({ resourceType: 'Patient' });
    const stored = await create(reading(`Patient/${patient.id}`));
    const gone = await create<Patient>({ resourceType: 'Patient' });
    expect((await ctx.api(`Patient/${gone.id}`, { method: 'DELETE' })).status).toBe(200);
    await expect422(
      await ctx.api('Observation', { method: 'POST', body: JSON.stringify(reading(`Patient/${gone.id}`)) }),
      /does not exist/
    );
    const moved = { ...stored, performer: [{ reference: 'Practitioner/nobody-here' }] };
    await expect422(
      await ctx.api(`Observation/${stored.id}`, { method: 'PUT', body: JSON.stringify(moved) }),
      /Practitioner\/nobody-here/
    );
    const after = (await (await ctx.api(`Observation/${stored.id}`)).json()) as Observation;
    expect(after.performer).toBeUndefined();
  });

  test('a transaction: targets created in the same Bundle pass; one missing target rolls back every entry', async () => {
    const family = `Ref-${randomUUID()}`;
    const urn = `urn:uuid:${randomUUID()}`;
    const good: Bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: urn,
          resource: { resourceType: 'Patient', name: [{ family }] },
          request: { method: 'POST', url: 'Patient' },
        },
        { resource: reading(urn), request: { method: 'POST', url: 'Observation' } },
      ],
    };
    const ok = await ctx.api('', { method: 'POST', body: JSON.stringify(good) });
    expect(ok.status, await ok.clone().text()).toBe(200);

    const badFamily = `Ref-${randomUUID()}`;
    const bad: Bundle = {
      ...good,
      entry: [
        { ...good.entry?.[0], resource: { resourceType: 'Patient', name: [{ family: badFamily }] } },
        good.entry?.[1] as NonNullable<Bundle['entry']>[number],
        {
          resource: reading(urn, { performer: [{ reference: 'Practitioner/not-on-this-server' }] }),
          request: { method: 'POST', url: 'Observation' },
        },
      ],
    };
    await expect422(
      await ctx.api('', { method: 'POST', body: JSON.stringify(bad) }),
      /Practitioner\/not-on-this-server/
    );
    expect(await count(`Patient?family=${badFamily}`)).toBe(0);
  });

  test('all the references of one write cost ONE query; known targets cost none', async () => {
    const a = await create<Patient>({ resourceType: 'Patient' });
    const b = await create<Patient>({ resourceType: 'Patient' });
    let queries = 0;
    const counting: Queryable = {
      query: (text, values) => {
        queries++;
        return ctx.server.pool.query(text, values as unknown[]);
      },
    };
    const resources = [
      reading(`Patient/${a.id}`, { performer: [{ reference: `Patient/${b.id}` }] }),
      reading(`Patient/${b.id}`, { hasMember: [{ reference: 'Observation/also-missing' }] }),
    ];
    const known: KnownResources = new Map();
    await expect(assertReferenceTargets(counting, resources, known, { hideOtherPatient: false })).rejects.toThrow(
      /Observation\/also-missing/
    );
    expect(queries).toBe(1);
    queries = 0;
    known.set(`Patient/${a.id}`, null).set(`Patient/${b.id}`, null);
    await assertReferenceTargets(counting, resources.slice(0, 1), known, { hideOtherPatient: false });
    expect(queries).toBe(0);
  });

  test('only literal Type/id references are checked: absolute URLs, contained and logical references are not', () => {
    const observation = reading('Patient/p1', {
      performer: [{ reference: '#contained' }, { reference: 'https://elsewhere.example/fhir/Practitioner/1' }],
      basedOn: [{ identifier: { value: 'x' } }],
      derivedFrom: [{ reference: 'Observation/o1/_history/2' }],
    });
    expect(localReferences(observation).map((r) => r.key)).toEqual(['Patient/p1', 'Observation/o1']);
    expect(localReferences({ resourceType: 'Bundle', type: 'collection' })).toEqual([]);
  });
});

describe('readings from a device assigned to another patient (Device.patient)', () => {
  test('refused with 422 naming the device, its patient and the subject; its own patient and unassigned devices pass', async () => {
    const holder = await create<Patient>({ resourceType: 'Patient' });
    const other = await create<Patient>({ resourceType: 'Patient' });
    const device = await create<Device>({
      resourceType: 'Device',
      manufacturer: 'Acme Medical',
      patient: { reference: `Patient/${holder.id}` },
    });
    const stock = await create<Device>({ resourceType: 'Device', manufacturer: 'Acme Medical' });
    const wrong = reading(`Patient/${other.id}`, { device: { reference: `Device/${device.id}` } });
    const outcome = await expect422(
      await ctx.api('Observation', { method: 'POST', body: JSON.stringify(wrong) }),
      new RegExp(
        `Device/${device.id} is assigned to Patient/${holder.id}, not to the reading's subject Patient/${other.id}`
      )
    );
    expect(outcome.issue?.[0].expression).toEqual(['Observation.device']);
    expect(await count(`Observation?identifier=urn:test:reading|${wrong.identifier?.[0].value}`)).toBe(0);
    await create(reading(`Patient/${holder.id}`, { device: { reference: `Device/${device.id}` } }));
    await create(reading(`Patient/${other.id}`, { device: { reference: `Device/${stock.id}` } }));
  });

  test('inside a transaction, with the Device found by ifNoneExist or created in the same Bundle', async () => {
    const holder = await create<Patient>({ resourceType: 'Patient' });
    const other = await create<Patient>({ resourceType: 'Patient' });
    const serial = `SN-${randomUUID()}`;
    await create<Device>({
      resourceType: 'Device',
      manufacturer: serial,
      patient: { reference: `Patient/${holder.id}` },
    });
    const deviceUrn = `urn:uuid:${randomUUID()}`;
    const found: Bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: deviceUrn,
          resource: { resourceType: 'Device', manufacturer: serial },
          request: { method: 'POST', url: 'Device', ifNoneExist: `manufacturer=${serial}` },
        },
        {
          resource: reading(`Patient/${other.id}`, { device: { reference: deviceUrn } }),
          request: { method: 'POST', url: 'Observation' },
        },
      ],
    };
    await expect422(await ctx.api('', { method: 'POST', body: JSON.stringify(found) }), /is assigned to/);

    const newSerial = `SN-${randomUUID()}`;
    const createdHere: Bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: deviceUrn,
          resource: { resourceType: 'Device', manufacturer: newSerial, patient: { reference: `Patient/${holder.id}` } },
          request: { method: 'POST', url: 'Device' },
        },
        {
          resource: reading(`Patient/${other.id}`, { device: { reference: deviceUrn } }),
          request: { method: 'POST', url: 'Observation' },
        },
      ],
    };
    await expect422(await ctx.api('', { method: 'POST', body: JSON.stringify(createdHere) }), /is assigned to/);
    expect(await count(`Device?manufacturer=${newSerial}`)).toBe(0);
  });
});
