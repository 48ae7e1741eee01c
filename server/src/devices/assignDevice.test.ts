// Device $assign/$unassign/$status through HTTP: history as DeviceUseStatements, least privilege, last contact, calibration.
import { randomUUID } from 'node:crypto';
import type { Bundle, Device, DeviceUseStatement, OperationOutcome, Parameters } from '@medplum/fhirtypes';
import { beforeAll, describe, expect, test } from 'vitest';
import { asUser, careNetwork, createAll, observation } from '../access/testWorld.ts';
import { useTestServer } from '../testing/testServer.ts';

const ctx = useTestServer();
let id: Record<string, string>;
const ref = (key: string, type: string): string => `${type}/${id[key]}`;

beforeAll(async () => {
  id = await createAll(ctx, careNetwork(randomUUID().slice(0, 8)));
});

const assignTo = (patient: string): RequestInit => ({
  method: 'POST',
  body: JSON.stringify({
    resourceType: 'Parameters',
    parameter: [{ name: 'patient', valueReference: { reference: patient } }],
  }),
});

const UNASSIGN: RequestInit = { method: 'POST', body: JSON.stringify({ resourceType: 'Parameters' }) };

async function statementsOf(deviceId: string): Promise<DeviceUseStatement[]> {
  const bundle = (await (
    await ctx.api(`DeviceUseStatement?device=Device/${deviceId}`)
  ).json()) as Bundle<DeviceUseStatement>;
  return (bundle.entry ?? []).map((e) => e.resource as DeviceUseStatement);
}

async function newDevice(extra: Partial<Device> = {}): Promise<string> {
  const response = await ctx.api('Device', {
    method: 'POST',
    body: JSON.stringify({ resourceType: 'Device', serialNumber: `SN-${randomUUID()}`, ...extra }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as Device).id as string;
}

describe('a clinician assigns devices to the patients they reach', () => {
  test('assign, reassign and unassign: Device.patient follows, DeviceUseStatements keep the history', async () => {
    const drA = await asUser(ctx, { role: 'clinician', fhirUser: ref('drA', 'Practitioner') }, 'user/*.cruds');
    const deviceId = await newDevice();
    const first = await drA(`Device/${deviceId}/$assign`, assignTo(ref('a1', 'Patient')));
    expect(first.status, await first.clone().text()).toBe(200);
    expect(((await first.json()) as Device).patient?.reference).toBe(ref('a1', 'Patient'));
    // Idempotent: the same assignment again writes nothing.
    expect((await drA(`Device/${deviceId}/$assign`, assignTo(ref('a1', 'Patient')))).status).toBe(200);
    let statements = await statementsOf(deviceId);
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatchObject({
      status: 'active',
      subject: { reference: ref('a1', 'Patient') },
      device: { reference: `Device/${deviceId}` },
      source: { reference: ref('drA', 'Practitioner') },
    });
    expect(statements[0].timingPeriod?.start).toBeDefined();
    expect(statements[0].recordedOn).toBeDefined();

    expect((await drA(`Device/${deviceId}/$assign`, assignTo(ref('a2', 'Patient')))).status).toBe(200);
    statements = await statementsOf(deviceId);
    const ended = statements.find((s) => s.subject.reference === ref('a1', 'Patient'));
    const current = statements.find((s) => s.subject.reference === ref('a2', 'Patient'));
    expect(ended?.status).toBe('completed');
    expect(ended?.timingPeriod?.end).toBe(current?.timingPeriod?.start);
    expect(current?.status).toBe('active');

    // The previous holder's readings from this device are now refused.
    const late = observation(ref('a1', 'Patient'), 'vital-signs', { device: { reference: `Device/${deviceId}` } });
    expect((await ctx.api('Observation', { method: 'POST', body: JSON.stringify(late) })).status).toBe(422);

    const back = await drA(`Device/${deviceId}/$unassign`, UNASSIGN);
    expect(back.status).toBe(200);
    expect(((await back.json()) as Device).patient).toBeUndefined();
    expect((await statementsOf(deviceId)).every((s) => s.status === 'completed' && s.timingPeriod?.end)).toBe(true);
  });

  test('least privilege: no direct Device writes; holder and new patient must both be reached; roles and scopes', async () => {
    const drA = await asUser(ctx, { role: 'clinician', fhirUser: ref('drA', 'Practitioner') }, 'user/*.cruds');
    const deviceId = await newDevice();
    const device = (await (await ctx.api(`Device/${deviceId}`)).json()) as Device;
    const put = await drA(`Device/${deviceId}`, {
      method: 'PUT',
      body: JSON.stringify({ ...device, patient: { reference: ref('a1', 'Patient') } }),
    });
    expect(put.status).toBe(403);
    // A patient drA does not reach (b1, organization B): 400 naming the parameter, nothing written.
    const outside = await drA(`Device/${deviceId}/$assign`, assignTo(ref('b1', 'Patient')));
    expect(outside.status).toBe(400);
    expect(((await outside.json()) as OperationOutcome).issue?.[0].details?.text).toMatch(/Parameter "patient"/);
    // A device held by a patient drA does not reach (deviceB1, held by b1): looks missing.
    expect((await drA(`Device/${id.deviceB1}/$assign`, assignTo(ref('a1', 'Patient')))).status).toBe(404);
    expect((await drA(`Device/${id.deviceB1}/$unassign`, UNASSIGN)).status).toBe(404);
    expect(await statementsOf(deviceId)).toHaveLength(0);
    expect(((await (await ctx.api(`Device/${id.deviceB1}`)).json()) as Device).patient?.reference).toBe(
      ref('b1', 'Patient')
    );
    // Other roles, and tokens whose scopes do not cover Device writes: 403.
    const patient = await asUser(ctx, { role: 'patient', fhirUser: ref('a1', 'Patient') }, 'patient/*.cruds');
    expect((await patient(`Device/${deviceId}/$assign`, assignTo(ref('a1', 'Patient')))).status).toBe(403);
    const readOnly = await asUser(ctx, { role: 'clinician', fhirUser: ref('drA', 'Practitioner') }, 'user/*.rs');
    expect((await readOnly(`Device/${deviceId}/$assign`, assignTo(ref('a1', 'Patient')))).status).toBe(403);
    // Bad parameters: 400.
    const bad = await drA(`Device/${deviceId}/$assign`, {
      method: 'POST',
      body: JSON.stringify({ resourceType: 'Parameters', parameter: [{ name: 'patient', valueString: 'a1' }] }),
    });
    expect(bad.status).toBe(400);
    expect((await drA(`Device/${deviceId}/$unassign`, assignTo(ref('a1', 'Patient')))).status).toBe(400);
  });
});

describe('Device/[id]/$status', () => {
  test('holder, versions, last contact (newest reading received) and calibration (DeviceMetric)', async () => {
    const deviceId = await newDevice({
      manufacturer: 'Acme Medical',
      modelNumber: 'OX-200',
      version: [{ type: { coding: [{ system: 'urn:iso:std:iso:11073:10101', code: '531976' }] }, value: '2.4.1' }],
    });
    expect((await ctx.api(`Device/${deviceId}/$assign`, assignTo(ref('a1', 'Patient')))).status).toBe(200);
    const metric = await ctx.api('DeviceMetric', {
      method: 'POST',
      body: JSON.stringify({
        resourceType: 'DeviceMetric',
        type: { coding: [{ system: 'urn:iso:std:iso:11073:10101', code: '150456' }] },
        source: { reference: `Device/${deviceId}` },
        category: 'measurement',
        calibration: [{ type: 'gain', state: 'calibrated', time: '2025-05-01T09:00:00Z' }],
      }),
    });
    expect(metric.status, await metric.clone().text()).toBe(201);
    const before = (await (await ctx.api(`Device/${deviceId}/$status`)).json()) as Parameters;
    expect(before.parameter?.find((p) => p.name === 'lastContact')).toBeUndefined();
    const posted = await ctx.api('Observation', {
      method: 'POST',
      body: JSON.stringify(
        observation(ref('a1', 'Patient'), 'vital-signs', { device: { reference: `Device/${deviceId}` } })
      ),
    });
    expect(posted.status).toBe(201);
    const reading = (await posted.json()) as { id: string; meta: { lastUpdated: string } };

    const drA = await asUser(ctx, { role: 'clinician', fhirUser: ref('drA', 'Practitioner') }, 'user/*.rs');
    const response = await drA(`Device/${deviceId}/$status`);
    expect(response.status).toBe(200);
    const status = (await response.json()) as Parameters;
    const value = (name: string): unknown => {
      const p = status.parameter?.find((x) => x.name === name);
      return p?.valueString ?? p?.valueInstant ?? p?.valueDateTime ?? p?.valueReference?.reference;
    };
    expect(value('patient')).toBe(ref('a1', 'Patient'));
    expect(value('assignedSince')).toBeDefined();
    expect(value('firmware')).toBe('2.4.1');
    expect(value('model')).toBe('OX-200');
    expect(value('lastContact')).toBe(reading.meta.lastUpdated);
    expect(value('lastReading')).toBe(`Observation/${reading.id}`);
    const calibration = status.parameter?.find((p) => p.name === 'calibration')?.part;
    expect(calibration?.find((p) => p.name === 'state')?.valueCode).toBe('calibrated');
    expect(calibration?.find((p) => p.name === 'time')?.valueInstant).toBe('2025-05-01T09:00:00Z');
    // drB does not reach a1, the holder: the device looks missing.
    const drB = await asUser(ctx, { role: 'clinician', fhirUser: ref('drB', 'Practitioner') }, 'user/*.rs');
    expect((await drB(`Device/${deviceId}/$status`)).status).toBe(404);
  });
});
