// A patient's own Bluetooth-paired Device (create, update, never delete, never another holder) and DeviceMetric reads.
import { randomUUID } from 'node:crypto';
import { OperationOutcomeError } from '@medplum/core';
import type { Bundle, Device, DeviceMetric, Observation, OperationOutcome } from '@medplum/fhirtypes';
import { beforeAll, describe, expect, test } from 'vitest';
import type { Caller } from '../auth/authenticate.ts';
import { loadFhirDefinitions } from '../fhir/definitions.ts';
import { useTestServer } from '../testing/testServer.ts';
import type { CallerAccess } from './callerAccess.ts';
import { mayRead } from './checkRead.ts';
import { assertWritableAfter, assertWritableBefore } from './checkWrite.ts';
import { grantingScopes } from './grants.ts';
import type { Reach } from './reach.ts';
import { asUser, careNetwork, createAll, observation } from './testWorld.ts';

loadFhirDefinitions();

const BASE = 'https://rpm.example/fhir/R4';
const APP_SYSTEM = 'http://rpm-platform.org/fhir/identifier/web-bluetooth-device';

describe('in memory: grants and the per-resource rule', () => {
  const caller = (role: Caller['role'], scopes: string[], fhirUser: string): Caller => ({
    clientId: 'app',
    subject: 'account',
    expiresAt: 0,
    role,
    scopes,
    fhirUser,
  });
  const reach = (patients: string[]): Reach => ({
    patients: new Set(patients),
    organizations: new Set(),
    resources: new Set(),
  });
  const patientA: CallerAccess = {
    caller: caller('patient', ['patient/*.cruds'], 'Patient/a'),
    fhirBaseUrl: BASE,
    reach: { user: reach(['a']), patient: reach(['a']) },
  };
  const device = (patient?: string, id = 'd1'): Device => ({
    resourceType: 'Device',
    id,
    identifier: [{ system: APP_SYSTEM, value: 'bt-1' }],
    ...(patient ? { patient: { reference: patient } } : {}),
  });
  const statusOf = (fn: () => void): number => {
    try {
      fn();
      return 200;
    } catch (err) {
      return (err as OperationOutcomeError).outcome.id === 'not-found' ? 404 : 403;
    }
  };

  test("patient/ scopes of a patient grant Device create and update, never delete; user/ scopes and other roles don't", () => {
    const patient = (scopes: string[]): Caller => caller('patient', scopes, 'Patient/a');
    expect(grantingScopes(patient(['patient/*.cruds']), 'Device', 'create')).toHaveLength(1);
    expect(grantingScopes(patient(['patient/Device.u']), 'Device', 'update')).toHaveLength(1);
    expect(grantingScopes(patient(['patient/*.cruds']), 'Device', 'delete')).toEqual([]);
    expect(grantingScopes(patient(['user/*.cruds']), 'Device', 'create')).toEqual([]);
    expect(grantingScopes(patient(['patient/*.cruds']), 'DeviceDefinition', 'create')).toEqual([]);
    expect(grantingScopes(caller('carer', ['patient/*.cruds'], 'RelatedPerson/r'), 'Device', 'create')).toEqual([]);
    expect(grantingScopes(caller('clinician', ['user/*.cruds'], 'Practitioner/d'), 'Device', 'create')).toEqual([]);
    expect(grantingScopes(caller('admin', ['user/*.cruds'], 'Practitioner/x'), 'Device', 'create')).toHaveLength(1);
  });

  test('their own Device only: no holder, another holder or a foreign reference is refused; the holder never changes', () => {
    expect(statusOf(() => assertWritableAfter(patientA, undefined, device('Patient/a'), 'create'))).toBe(200);
    expect(statusOf(() => assertWritableAfter(patientA, undefined, device(`${BASE}/Patient/a`), 'create'))).toBe(200);
    expect(statusOf(() => assertWritableAfter(patientA, undefined, device(), 'create'))).toBe(403);
    expect(statusOf(() => assertWritableAfter(patientA, undefined, device('Patient/b'), 'create'))).toBe(403);
    expect(
      statusOf(() => assertWritableAfter(patientA, undefined, device('https://other.example/fhir/Patient/a'), 'create'))
    ).toBe(403);
    // Update: before and after theirs.
    expect(statusOf(() => assertWritableBefore(patientA, device('Patient/a'), 'update'))).toBe(200);
    expect(statusOf(() => assertWritableAfter(patientA, device('Patient/a'), device('Patient/a'), 'update'))).toBe(200);
    expect(statusOf(() => assertWritableAfter(patientA, device('Patient/a'), device(), 'update'))).toBe(403);
    expect(statusOf(() => assertWritableAfter(patientA, device('Patient/a'), device('Patient/b'), 'update'))).toBe(403);
    // Stock (no holder) is visible but not theirs to claim; another patient's is not even visible.
    expect(statusOf(() => assertWritableBefore(patientA, device(), 'update'))).toBe(403);
    expect(statusOf(() => assertWritableBefore(patientA, device('Patient/b'), 'update'))).toBe(404);
  });

  test('DeviceMetric: read like an unassigned Device by every user whose scopes name it; written by admins only', () => {
    const metric: DeviceMetric = {
      resourceType: 'DeviceMetric',
      id: 'm1',
      type: { text: 'calibration' },
      category: 'measurement',
      source: { reference: 'Device/d1' },
    };
    const clinician: CallerAccess = {
      caller: caller('clinician', ['user/*.rs'], 'Practitioner/d'),
      fhirBaseUrl: BASE,
      reach: { user: reach(['a']), patient: reach([]) },
    };
    expect(mayRead(clinician, metric)).toBe(true);
    expect(mayRead(patientA, metric)).toBe(true);
    expect(grantingScopes(caller('clinician', ['user/*.cruds'], 'Practitioner/d'), 'DeviceMetric', 'create')).toEqual(
      []
    );
    expect(grantingScopes(caller('patient', ['patient/*.cruds'], 'Patient/a'), 'DeviceMetric', 'update')).toEqual([]);
    expect(grantingScopes(caller('admin', ['user/*.cruds'], 'Practitioner/x'), 'DeviceMetric', 'update')).toHaveLength(
      1
    );
  });
});

describe('through HTTP', () => {
  const ctx = useTestServer();
  const tag = randomUUID().slice(0, 8);
  let id: Record<string, string>;

  beforeAll(async () => {
    id = await createAll(ctx, careNetwork(tag));
  });

  const ref = (key: string, type: string): string => `${type}/${id[key]}`;
  const post = (body: unknown): RequestInit => ({ method: 'POST', body: JSON.stringify(body) });
  const put = (body: unknown): RequestInit => ({ method: 'PUT', body: JSON.stringify(body) });
  const a1Token = () => asUser(ctx, { role: 'patient', fhirUser: ref('a1', 'Patient') }, 'patient/*.cruds');
  const paired = (patient: string, value = `bt-${randomUUID()}`): Device => ({
    resourceType: 'Device',
    identifier: [{ system: APP_SYSTEM, value }],
    manufacturer: 'Acme',
    modelNumber: 'BP-1',
    deviceName: [{ name: 'Acme cuff', type: 'user-friendly-name' }],
    patient: { reference: patient },
  });

  /** The patient app's transaction: the Device by conditional create, a reading naming it by urn:uuid. */
  function pairedReading(device: Device, readingId: string): Bundle {
    const deviceUrl = `urn:uuid:${randomUUID()}`;
    const identifier = device.identifier?.[0];
    const reading = observation(device.patient?.reference ?? '', 'vital-signs', {
      identifier: [{ system: 'urn:test:reading', value: readingId }],
      effectiveDateTime: new Date().toISOString(),
      device: { reference: deviceUrl },
    }) as Observation;
    return {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: deviceUrl,
          resource: device,
          request: {
            method: 'POST',
            url: 'Device',
            ifNoneExist: `identifier=${identifier?.system}|${identifier?.value}`,
          },
        },
        {
          fullUrl: `urn:uuid:${randomUUID()}`,
          resource: reading,
          request: { method: 'POST', url: 'Observation', ifNoneExist: `identifier=urn:test:reading|${readingId}` },
        },
      ],
    };
  }

  test('a patient creates their own Device (conditional create in a transaction) and a reading naming it, once', async () => {
    const a1 = await a1Token();
    const device = paired(ref('a1', 'Patient'));
    const readingId = randomUUID();
    const first = await a1('', post(pairedReading(device, readingId)));
    expect(first.status).toBe(200);
    const [deviceEntry, readingEntry] = ((await first.json()) as Bundle).entry ?? [];
    expect(deviceEntry.response?.status).toMatch(/^201/);
    const deviceId = deviceEntry.response?.location?.split('/')[1];
    const readingId1 = readingEntry.response?.location?.split('/')[1];
    const stored = (await (await ctx.api(`Observation/${readingId1}`)).json()) as Observation;
    expect(stored.device?.reference).toBe(`Device/${deviceId}`);

    // The same transaction again (a lost answer): nothing new.
    const again = await a1('', post(pairedReading(device, readingId)));
    expect(again.status).toBe(200);
    const [deviceAgain, readingAgain] = ((await again.json()) as Bundle).entry ?? [];
    expect(deviceAgain.response?.status).toMatch(/^200/);
    expect(deviceAgain.response?.location?.split('/')[1]).toBe(deviceId);
    expect(readingAgain.response?.location?.split('/')[1]).toBe(readingId1);
    const value = device.identifier?.[0].value;
    const found = (await (await ctx.api(`Device?identifier=${APP_SYSTEM}|${value}`)).json()) as Bundle;
    expect(found.entry).toHaveLength(1);

    // A second reading from the same device reuses it.
    const second = await a1('', post(pairedReading(device, randomUUID())));
    const [, secondReading] = ((await second.json()) as Bundle).entry ?? [];
    const secondStored = (await (
      await ctx.api(`Observation/${secondReading.response?.location?.split('/')[1]}`)
    ).json()) as Observation;
    expect(secondStored.device?.reference).toBe(`Device/${deviceId}`);
    const mine = (await (
      await a1(`Device?patient=${ref('a1', 'Patient')}&identifier=${APP_SYSTEM}|${value}`)
    ).json()) as Bundle;
    expect(mine.entry?.map((e) => e.resource?.id)).toEqual([deviceId]);

    // Another patient's phone reporting the same Web Bluetooth id: a1's Device is out of their reach, so their
    // conditional create makes their own, and a1's stays a1's.
    const a2 = await asUser(ctx, { role: 'patient', fhirUser: ref('a2', 'Patient') }, 'patient/*.cruds');
    const theirs = await a2('', post(pairedReading(paired(ref('a2', 'Patient'), value), randomUUID())));
    expect(theirs.status).toBe(200);
    const [theirDevice] = ((await theirs.json()) as Bundle).entry ?? [];
    expect(theirDevice.response?.status).toMatch(/^201/);
    expect(theirDevice.response?.location?.split('/')[1]).not.toBe(deviceId);
    const a1Device = (await (await ctx.api(`Device/${deviceId}`)).json()) as Device;
    expect(a1Device.patient?.reference).toBe(ref('a1', 'Patient'));
  });

  test("refused: a Device of another patient or of nobody; changing the holder; deleting; carers' and clinicians' Devices", async () => {
    const a1 = await a1Token();
    const forA2 = await a1('Device', post(paired(ref('a2', 'Patient'))));
    expect(forA2.status).toBe(403);
    expect(((await forA2.json()) as OperationOutcome).issue?.[0].details?.text).toMatch(/outside what this token/);
    const { patient: _none, ...stock } = paired(ref('a1', 'Patient'));
    expect((await a1('Device', post(stock))).status).toBe(403);

    const created = (await (await a1('Device', post(paired(ref('a1', 'Patient'))))).json()) as Device;
    expect(created.id).toBeDefined();
    const firmware = {
      ...created,
      version: [
        {
          type: { coding: [{ system: 'urn:iso:std:iso:11073:10101', code: '531976' }] },
          value: '2.0.1',
        },
      ],
    };
    expect((await a1(`Device/${created.id}`, put(firmware))).status).toBe(200);
    const moved = { ...firmware, patient: { reference: ref('a2', 'Patient') } };
    expect((await a1(`Device/${created.id}`, put(moved))).status).toBe(403);
    const { patient: _gone, ...released } = firmware;
    expect((await a1(`Device/${created.id}`, put(released))).status).toBe(403);
    expect((await a1(`Device/${created.id}`, { method: 'DELETE' })).status).toBe(403);
    const kept = (await (await ctx.api(`Device/${created.id}`)).json()) as Device;
    expect(kept.patient?.reference).toBe(ref('a1', 'Patient'));
    expect(kept.version?.[0].value).toBe('2.0.1');

    // Stock devices and other patients' devices are not theirs to update (403 seen, 404 unseen).
    const free = (await (await ctx.api(`Device/${id.device}`)).json()) as Device;
    expect(
      (await a1(`Device/${id.device}`, put({ ...free, patient: { reference: ref('a1', 'Patient') } }))).status
    ).toBe(403);
    const b1Device = (await (await ctx.api(`Device/${id.deviceB1}`)).json()) as Device;
    expect((await a1(`Device/${id.deviceB1}`, put({ ...b1Device, modelNumber: 'x' }))).status).toBe(404);

    const carer = await asUser(ctx, { role: 'carer', fhirUser: ref('carer', 'RelatedPerson') }, 'patient/*.cruds');
    expect((await carer('Device', post(paired(ref('a1', 'Patient'))))).status).toBe(403);
    const drA = await asUser(ctx, { role: 'clinician', fhirUser: ref('drA', 'Practitioner') }, 'user/*.cruds');
    expect((await drA('Device', post(paired(ref('a1', 'Patient'))))).status).toBe(403);
  });

  test("a reading naming another patient's Device is refused (422); naming their own is accepted", async () => {
    const a1 = await a1Token();
    const mine = (await (await a1('Device', post(paired(ref('a1', 'Patient'))))).json()) as Device;
    const own = observation(ref('a1', 'Patient'), 'vital-signs', { device: { reference: `Device/${mine.id}` } });
    expect((await a1('Observation', post(own))).status).toBe(201);
    const theirs = observation(ref('a1', 'Patient'), 'vital-signs', { device: { reference: `Device/${id.deviceB1}` } });
    const refused = await a1('Observation', post(theirs));
    expect(refused.status).toBe(422);
    expect(((await refused.json()) as OperationOutcome).issue?.[0].details?.text).toMatch(/another patient/);
  });

  test("DeviceMetric: a clinician reads a device's calibration; only admins write it", async () => {
    const metric: DeviceMetric = {
      resourceType: 'DeviceMetric',
      type: { coding: [{ system: 'urn:iso:std:iso:11073:10101', code: '150020' }] },
      category: 'measurement',
      source: { reference: ref('deviceB1', 'Device') },
      calibration: [{ type: 'gain', state: 'calibrated', time: '2025-01-01T00:00:00Z' }],
    };
    const admin = await asUser(ctx, { role: 'admin', fhirUser: ref('admin', 'Practitioner') }, 'user/*.cruds');
    const created = await admin('DeviceMetric', post(metric));
    expect(created.status).toBe(201);
    const metricId = ((await created.json()) as DeviceMetric).id;

    const drB = await asUser(ctx, { role: 'clinician', fhirUser: ref('drB', 'Practitioner') }, 'user/*.rs');
    expect((await drB(`DeviceMetric/${metricId}`)).status).toBe(200);
    const found = (await (await drB(`DeviceMetric?source=${ref('deviceB1', 'Device')}`)).json()) as Bundle;
    expect(found.entry?.map((e) => e.resource?.id)).toEqual([metricId]);

    const drBWrites = await asUser(ctx, { role: 'clinician', fhirUser: ref('drB', 'Practitioner') }, 'user/*.cruds');
    expect((await drBWrites('DeviceMetric', post(metric))).status).toBe(403);
    expect((await drBWrites(`DeviceMetric/${metricId}`, put({ ...metric, id: metricId }))).status).toBe(403);
    const a1 = await a1Token();
    expect((await a1('DeviceMetric', post(metric))).status).toBe(403);
  });
});
