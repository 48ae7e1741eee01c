// The outbox's sending against a real server with a patient token: once only, 4xx refused, no connection retried.
import { MedplumClient } from '@medplum/core';
import type { Device, Observation, Patient } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import { freePort } from '../../../../server/src/testing/freePort.ts';
import { useTestServer, type TestServerContext } from '../../../../server/src/testing/testServer.ts';
import { issueUserToken } from '../../../../server/src/testing/userTokens.ts';
import { hex } from '../bluetooth/testBytes.ts';
import { pairedDeviceResource } from '../devices/deviceResource.ts';
import {
  DEVICE_TYPES,
  deviceObservations,
  WEB_BLUETOOTH_DEVICE_SYSTEM,
  type PairedDevice,
} from '../devices/deviceTypes.ts';
import { manualObservations } from '../vitals/manualReading.ts';
import { vitalSign } from '../vitals/vitalSigns.ts';
import { newReadingId } from './newReadingId.ts';
import { failureKind, newOutboxItem, READING_IDENTIFIER_SYSTEM, retryDelayMs } from './outboxItem.ts';
import { MemoryOutboxStore } from './outboxStore.ts';
import { readingTransaction } from './readingTransaction.ts';
import { sendDueItems } from './sendOutbox.ts';

const ctx = useTestServer();

async function patientClient(
  baseUrl?: string,
  server: TestServerContext = ctx
): Promise<{ medplum: MedplumClient; patient: string }> {
  const patient = await server.medplum.createResource<Patient>({
    resourceType: 'Patient',
    name: [{ family: 'Outbox' }],
  });
  const token = await issueUserToken(server.server, {
    accountId: `outbox-${patient.id}`,
    scope: 'patient/*.cruds',
    role: 'patient',
    fhirUser: `Patient/${patient.id}`,
    patient: patient.id,
  });
  const medplum = new MedplumClient({ baseUrl: baseUrl ?? `${server.server.baseUrl}/`, fetch, cacheTime: 0 });
  medplum.setAccessToken(token);
  return { medplum, patient: `Patient/${patient.id}` };
}

function item(patient: string, key: string, typed: Record<string, string>, now = Date.now()) {
  const vital = vitalSign(key) ?? expect.fail(key);
  const takenAt = new Date(now);
  return newOutboxItem({
    id: newReadingId(),
    vital: key,
    summary: key,
    observations: manualObservations(vital, typed, patient, takenAt),
    takenAt: takenAt.toISOString(),
    now,
  });
}

async function countByIdentifier(value: string): Promise<Observation[]> {
  return ctx.medplum.searchResources('Observation', { identifier: `${READING_IDENTIFIER_SYSTEM}|${value}` });
}

describe('sendDueItems', () => {
  test('sends each Observation once; sending the same reading again (a lost answer) creates nothing new', async () => {
    const { medplum, patient } = await patientClient();
    const store = new MemoryOutboxStore();
    const reading = item(patient, 'blood-pressure', { systolic: '128', diastolic: '82', pulse: '66' });
    await store.put(reading);

    const [sent] = await sendDueItems(store, medplum);
    expect(sent.state).toBe('sent');
    expect(sent.sentIds).toHaveLength(2);
    const panel = await countByIdentifier(reading.id);
    const pulse = await countByIdentifier(`${reading.id}-1`);
    expect(panel.map((o) => o.id)).toEqual([sent.sentIds?.[0]]);
    expect(pulse.map((o) => o.id)).toEqual([sent.sentIds?.[1]]);
    expect(panel[0].method?.coding?.[0].code).toBe('patient-entered');

    // As if the phone never heard the answer: the same reading is still waiting and is sent again.
    await store.put({ ...sent, state: 'waiting', sentIds: undefined });
    const [again] = await sendDueItems(store, medplum);
    expect(again.state).toBe('sent');
    expect(again.sentIds).toEqual(sent.sentIds);
    expect(await countByIdentifier(reading.id)).toHaveLength(1);
    expect(await countByIdentifier(`${reading.id}-1`)).toHaveLength(1);
  });

  test('a reading the server refuses (422, impossible value) is kept as refused with the reason, not retried', async () => {
    const { medplum, patient } = await patientClient();
    const store = new MemoryOutboxStore();
    const reading = item(patient, 'spo2', { spo2: '95' });
    // Past the app's own check: the server's plausibility check refuses it.
    (reading.resources[0].valueQuantity as { value: number }).value = 140;
    await store.put(reading);
    const [refused] = await sendDueItems(store, medplum);
    expect(refused.state).toBe('refused');
    expect(refused.problem).toMatch(/^This was not accepted\./);
    expect(refused.problem).toMatch(/SpO2/);
    expect(await countByIdentifier(reading.id)).toHaveLength(0);
    const [still] = await sendDueItems(store, medplum, Date.now() + 3600_000);
    expect(still).toEqual(refused);
  });

  test('no connection: the reading waits with back-off, then goes once the server is reachable', async () => {
    const { patient, medplum } = await patientClient();
    const unreachable = new MedplumClient({ baseUrl: `http://127.0.0.1:${await freePort()}/`, fetch, cacheTime: 0 });
    unreachable.setAccessToken(medplum.getAccessToken() as string);
    const store = new MemoryOutboxStore();
    const now = Date.now();
    const reading = item(patient, 'temperature', { temperature: '37.9' }, now);
    await store.put(reading);

    const [waiting] = await sendDueItems(store, unreachable, now);
    expect(waiting).toMatchObject({ state: 'waiting', attempts: 1 });
    expect(waiting.nextAttemptAt).toBeGreaterThanOrEqual(now + retryDelayMs(1));
    expect(waiting.problem).toBe('No internet connection. Try again when you are back online.');
    // Not due yet: nothing is tried.
    expect(await sendDueItems(store, medplum, now)).toEqual([waiting]);

    const [sent] = await sendDueItems(store, medplum, waiting.nextAttemptAt);
    expect(sent.state).toBe('sent');
    expect(await countByIdentifier(reading.id)).toHaveLength(1);
  });
});

describe('sendDueItems to a server whose alerts run late', () => {
  // No instance runs this server's jobs, so a bot run queued by the test stays late: a reading is held for a second,
  // then answered 503 (throttled).
  const busy = useTestServer({
    RPM_RUN_JOBS: 'false',
    RPM_ALERT_BACKLOG_LIMIT_MS: '1000',
    RPM_READING_HOLD_MS: '1000',
  });

  test('the refused reading waits on the phone (not "not accepted"), then goes once alerts have caught up', async () => {
    const { patient, medplum } = await patientClient(undefined, busy);
    const schema = busy.server.config.jobs.schema;
    await busy.server.pool.query(
      `SELECT "${schema}".add_job('execute-bot', '{}'::json, run_at => now() - interval '30 seconds')`
    );
    await new Promise((r) => setTimeout(r, 1_200)); // the server samples its queue five times a second
    const store = new MemoryOutboxStore();
    const now = Date.now();
    const reading = item(patient, 'temperature', { temperature: '38.1' }, now);
    await store.put(reading);

    const [waiting] = await sendDueItems(store, medplum, now);
    expect(waiting).toMatchObject({ state: 'waiting', attempts: 1 });
    expect(waiting.problem).toMatch(/not stored: send it again after \d+ s/);
    const stored = () =>
      busy.medplum.searchResources('Observation', { identifier: `${READING_IDENTIFIER_SYSTEM}|${reading.id}` });
    expect(await stored()).toHaveLength(0);

    await busy.server.pool.query(`DELETE FROM "${schema}"._private_jobs`);
    await new Promise((r) => setTimeout(r, 1_200));
    const [sent] = await sendDueItems(store, medplum, waiting.nextAttemptAt);
    expect(sent.state).toBe('sent');
    expect(await stored()).toHaveLength(1);
  });
});

const BP = DEVICE_TYPES.find((t) => t.key === 'blood-pressure') ?? expect.fail('no BP type');
const BP_VECTOR = '1E 8A 00 58 00 78 00 00 00 04 11 14 29 3B 3C 00 01 27 00';

/** A Bluetooth blood pressure reading from the paired device, as DevicesPage makes it. */
function deviceItem(patient: string, device: PairedDevice, at = new Date()) {
  const deviceUrl = `urn:uuid:${newReadingId()}`;
  return newOutboxItem({
    id: newReadingId(),
    vital: BP.vital,
    summary: 'BP',
    observations: deviceObservations({
      reading: BP.decode(hex(BP_VECTOR)),
      type: BP,
      device,
      deviceUrl,
      patientReference: patient,
      receivedAt: at,
    }),
    device: { fullUrl: deviceUrl, resource: pairedDeviceResource(device, BP, patient) },
    takenAt: at.toISOString(),
    now: at.getTime(),
  });
}

async function devicesByBluetoothId(value: string): Promise<Device[]> {
  return ctx.medplum.searchResources('Device', { identifier: `${WEB_BLUETOOTH_DEVICE_SYSTEM}|${value}` });
}

describe('Bluetooth readings: the Device and the Observations in one transaction', () => {
  test('the transaction: Device by conditional create under its urn:uuid, then each Observation naming it', () => {
    const reading = deviceItem('Patient/p', { id: 'bt-1', name: 'Cuff' });
    const bundle = readingTransaction(reading);
    expect(bundle.type).toBe('transaction');
    expect(bundle.entry?.map((e) => [e.request?.method, e.request?.url, e.fullUrl])).toEqual([
      ['POST', 'Device', reading.device?.fullUrl],
      ['POST', 'Observation', undefined],
      ['POST', 'Observation', undefined],
    ]);
    expect(bundle.entry?.[0].request?.ifNoneExist).toBe(
      `identifier=${encodeURIComponent(`${WEB_BLUETOOTH_DEVICE_SYSTEM}|bt-1`)}`
    );
    expect(bundle.entry?.[1].request?.ifNoneExist).toBe(
      `identifier=${encodeURIComponent(`${READING_IDENTIFIER_SYSTEM}|${reading.id}`)}`
    );
    for (const entry of bundle.entry?.slice(1) ?? []) {
      expect((entry.resource as Observation).device?.reference).toBe(reading.device?.fullUrl);
    }
  });

  test('creates the Device once; a repeat send and a second reading from the same device reuse it', async () => {
    const { medplum, patient } = await patientClient();
    const store = new MemoryOutboxStore();
    const bluetoothId = `bt-${newReadingId()}`;
    const device: PairedDevice = {
      id: bluetoothId,
      name: 'Cuff BP-1',
      information: { manufacturer: 'Acme', modelNumber: 'BP-700', serialNumber: 'SN-1', firmwareVersion: '2.4.1' },
    };
    const first = deviceItem(patient, device);
    await store.put(first);
    const [sent] = await sendDueItems(store, medplum);
    expect(sent.state).toBe('sent');
    expect(sent.sentIds).toHaveLength(2);
    const devices = await devicesByBluetoothId(bluetoothId);
    expect(devices).toHaveLength(1);
    expect(devices[0]).toMatchObject({
      manufacturer: 'Acme',
      modelNumber: 'BP-700',
      serialNumber: 'SN-1',
      patient: { reference: patient },
    });
    const panel = await countByIdentifier(first.id);
    expect(panel.map((o) => o.id)).toEqual([sent.sentIds?.[0]]);
    expect(panel[0].device?.reference).toBe(`Device/${devices[0].id}`);

    // As if the answer was lost: sent again, nothing new.
    await store.put({ ...sent, state: 'waiting', sentIds: undefined });
    const [again] = await sendDueItems(store, medplum);
    expect(again.sentIds).toEqual(sent.sentIds);
    expect(await countByIdentifier(first.id)).toHaveLength(1);
    expect(await devicesByBluetoothId(bluetoothId)).toHaveLength(1);

    // A second reading from the same device: a new Device urn:uuid on the phone, the same Device on the server.
    const second = deviceItem(patient, device);
    await store.put(second);
    const items = await sendDueItems(store, medplum);
    const secondSent = items.find((i) => i.id === second.id);
    expect(secondSent?.state).toBe('sent');
    expect(await devicesByBluetoothId(bluetoothId)).toHaveLength(1);
    const [secondPanel] = await countByIdentifier(second.id);
    expect(secondPanel.device?.reference).toBe(`Device/${devices[0].id}`);
  });

  test('new firmware reported by the device updates the stored Device (still one Device)', async () => {
    const { medplum, patient } = await patientClient();
    const store = new MemoryOutboxStore();
    const bluetoothId = `bt-${newReadingId()}`;
    const device: PairedDevice = {
      id: bluetoothId,
      name: 'Cuff BP-1',
      information: { manufacturer: 'Acme', modelNumber: 'BP-700', firmwareVersion: '2.4.1' },
    };
    await store.put(deviceItem(patient, device));
    await sendDueItems(store, medplum);
    const [before] = await devicesByBluetoothId(bluetoothId);
    expect(before.version?.map((v) => v.value)).toEqual(['2.4.1']);

    // The same cuff after a firmware update, now also giving its serial number.
    await store.put(
      deviceItem(patient, {
        ...device,
        information: { ...device.information, firmwareVersion: '2.5.0', serialNumber: 'SN-7' },
      })
    );
    const items = await sendDueItems(store, medplum);
    expect(items.every((i) => i.state === 'sent')).toBe(true);
    const after = await devicesByBluetoothId(bluetoothId);
    expect(after).toHaveLength(1);
    expect(after[0].id).toBe(before.id);
    expect(after[0].version?.map((v) => v.value)).toEqual(['2.5.0']);
    expect(after[0].serialNumber).toBe('SN-7');
    expect(after[0].patient).toEqual({ reference: patient });
    expect(after[0].meta?.versionId).not.toBe(before.meta?.versionId);
  });

  test('an item saved before Devices were recorded (a logical device reference, no Device) still sends', async () => {
    const { medplum, patient } = await patientClient();
    const store = new MemoryOutboxStore();
    const current = deviceItem(patient, { id: 'old-bt', name: 'Old cuff' });
    const { device: _none, ...legacy } = current;
    legacy.resources = legacy.resources.map((o) => ({
      ...o,
      device: { identifier: { system: WEB_BLUETOOTH_DEVICE_SYSTEM, value: 'old-bt' }, display: 'Old cuff' },
    }));
    await store.put(legacy);
    const [sent] = await sendDueItems(store, medplum);
    expect(sent.state).toBe('sent');
    const [panel] = await countByIdentifier(legacy.id);
    expect(panel.device?.identifier?.value).toBe('old-bt');
    expect(await devicesByBluetoothId('old-bt')).toHaveLength(0);
  });

  test('a Device for another patient is refused as a whole: nothing is written', async () => {
    const { medplum, patient } = await patientClient();
    const other = await patientClient();
    const store = new MemoryOutboxStore();
    const reading = deviceItem(patient, { id: `bt-${newReadingId()}`, name: 'Cuff' });
    const paired = reading.device ?? expect.fail('no Device');
    const stolen = {
      ...reading,
      device: { ...paired, resource: { ...paired.resource, patient: { reference: other.patient } } },
    };
    await store.put(stolen);
    const [refused] = await sendDueItems(store, medplum);
    expect(refused.state).toBe('refused');
    expect(refused.problem).toMatch(/^You are not allowed to do this\./);
    expect(await countByIdentifier(reading.id)).toHaveLength(0);
    expect(await devicesByBluetoothId(paired.resource.identifier?.[0].value ?? '')).toHaveLength(0);
  });
});

describe('outbox rules', () => {
  test('back-off doubles from 5 s up to 10 minutes; 401, 408, 429 and 5xx are retried, other 4xx refused', () => {
    expect([1, 2, 3, 10, 20].map(retryDelayMs)).toEqual([5_000, 10_000, 20_000, 600_000, 600_000]);
    const outcome = (status: number) => ({
      resourceType: 'OperationOutcome' as const,
      id: `http-${status}`,
      issue: [{ severity: 'error' as const, code: 'processing' as const }],
    });
    expect([400, 403, 404, 409, 422].map((s) => failureKind(outcome(s)))).toEqual(Array(5).fill('refused'));
    expect([401, 408, 429, 500, 503].map((s) => failureKind(outcome(s)))).toEqual(Array(5).fill('retry'));
    expect(failureKind(new TypeError('Failed to fetch'))).toBe('retry');
    // As MedplumClient hands them over: no HTTP status, only the issue type (transient ones are retried).
    const issue = (code: 'throttled' | 'transient' | 'exception' | 'invalid' | 'forbidden') => ({
      resourceType: 'OperationOutcome' as const,
      issue: [{ severity: 'error' as const, code }],
    });
    expect((['throttled', 'transient', 'exception'] as const).map((c) => failureKind(issue(c)))).toEqual(
      Array(3).fill('retry')
    );
    expect([failureKind(issue('invalid')), failureKind(issue('forbidden'))]).toEqual(['refused', 'refused']);
  });
});
