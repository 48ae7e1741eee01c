// The patient app's Bluetooth pairing at phone size with a fake navigator.bluetooth serving the RPM-REFERENCE blood
// pressure vector: choose, connect, Device Information, indication, confirm, Device and Observations on the server.
import type { Bundle, Device, Observation } from '@medplum/fhirtypes';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { useTestServer } from '../server/src/testing/testServer.ts';
import { createMonitoredPatient, registerPatientApp, type PatientAppClient } from './patientAppClient.ts';
import {
  accessibilityProblems,
  openScreen,
  phonePage,
  screenshot,
  signInToApp,
  smallTouchTargets,
  type PhonePage,
} from './patientScreens.ts';
import { launchChromium } from './support.ts';

const ctx = useTestServer();
const TEST_TIMEOUT = 120_000;

/** RPM-REFERENCE.md: BP 138/88 mmHg, MAP 120, timestamp without a year, pulse 60, user 1, status 0x0027. */
const BP_VECTOR = [
  0x1e, 0x8a, 0x00, 0x58, 0x00, 0x78, 0x00, 0x00, 0x00, 0x04, 0x11, 0x14, 0x29, 0x3b, 0x3c, 0x00, 0x01, 0x27, 0x00,
];

/** What the fake device's Device Information Service (0x180A) says: no software revision (0x2A28). */
const DEVICE_INFORMATION: Record<number, string> = {
  0x2a29: 'E2E Medical',
  0x2a24: 'BP-E2E-7',
  0x2a25: 'SN-E2E-0042',
  0x2a27: 'rev B',
  0x2a26: '4.0.1',
};

/**
 * A fake Web Bluetooth for the page: requestDevice records its options and returns "E2E BP cuff"; the GATT server
 * serves service 0x1810 with characteristic 0x2A35, which sends one indication with the vector after
 * startNotifications, and the Device Information Service 0x180A (readValue of each characteristic it has). Calls are
 * recorded on window.__bluetoothCalls.
 */
const FAKE_BLUETOOTH = `
(() => {
  const bytes = new Uint8Array(${JSON.stringify(BP_VECTOR)});
  const information = ${JSON.stringify(DEVICE_INFORMATION)};
  const calls = [];
  window.__bluetoothCalls = calls;
  const characteristic = new EventTarget();
  characteristic.value = undefined;
  characteristic.startNotifications = async () => {
    calls.push('startNotifications');
    setTimeout(() => {
      characteristic.value = new DataView(bytes.buffer);
      characteristic.dispatchEvent(new Event('characteristicvaluechanged'));
    }, 300);
    return characteristic;
  };
  const server = {
    connected: false,
    async connect() { calls.push('connect'); server.connected = true; return server; },
    disconnect() { calls.push('disconnect'); server.connected = false; },
    async getPrimaryService(uuid) {
      calls.push('service:' + uuid.toString(16));
      if (uuid === 0x180a) {
        return {
          async getCharacteristic(c) {
            if (!(c in information)) throw Object.assign(new Error('no such characteristic'), { name: 'NotFoundError' });
            return {
              async readValue() {
                calls.push('read:' + c.toString(16));
                return new DataView(new TextEncoder().encode(information[c]).buffer);
              },
            };
          },
        };
      }
      if (uuid !== 0x1810) throw Object.assign(new Error('no such service'), { name: 'NotFoundError' });
      return {
        async getCharacteristic(c) {
          calls.push('characteristic:' + c.toString(16));
          if (c !== 0x2a35) throw Object.assign(new Error('no such characteristic'), { name: 'NotFoundError' });
          return characteristic;
        },
      };
    },
  };
  const device = Object.assign(new EventTarget(), { id: 'e2e-bp-cuff-1', name: 'E2E BP cuff', gatt: server });
  Object.defineProperty(navigator, 'bluetooth', {
    value: {
      async requestDevice(options) {
        calls.push('requestDevice:' + JSON.stringify(options));
        return device;
      },
    },
  });
})();
`;

/** What the server holds (read as the server, not through the app). */
async function observationsOf(patientId: string): Promise<Observation[]> {
  const bundle = (await (await ctx.api(`Observation?subject=Patient/${patientId}&_count=20`)).json()) as Bundle;
  return (bundle.entry ?? []).map((e) => e.resource as Observation);
}

async function devicesOf(patientId: string): Promise<Device[]> {
  const bundle = (await (await ctx.api(`Device?patient=Patient/${patientId}`)).json()) as Bundle;
  return (bundle.entry ?? []).map((e) => e.resource as Device);
}

let browser: Browser;
let app: PatientAppClient;
let phone: PhonePage | undefined;

beforeAll(async () => {
  browser = await launchChromium();
  app = await registerPatientApp(ctx, 'bluetooth');
}, 300_000);
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  await phone?.context.close();
  expect(phone?.blocked, 'requests to other origins').toEqual([]);
  expect(phone?.pageErrors, 'uncaught errors in the app').toEqual([]);
  phone = undefined;
});

describe('Bluetooth devices', () => {
  test(
    'a blood pressure monitor: pair, read the indication, confirm; one Device on the server, the Observations name it',
    async () => {
      const patient = await createMonitoredPatient(ctx);
      phone = await phonePage(browser, ctx.server.baseUrl, FAKE_BLUETOOTH);
      const { page } = phone;
      await signInToApp(page, app, patient);
      await openScreen(page, 'Devices', 'My devices');
      expect(await accessibilityProblems(page)).toEqual([]);
      expect(await smallTouchTargets(page)).toEqual([]);
      await screenshot(page, 'devices-choose');

      await page.getByRole('button', { name: 'Blood pressure monitor' }).click();
      const reading = page.getByTestId('device-reading');
      await reading.waitFor();
      expect(await reading.textContent()).toBe('Blood pressure 138/88 mmHg, pulse 60 beats a minute');
      expect(await page.getByText('From E2E BP cuff').isVisible()).toBe(true);
      expect(await accessibilityProblems(page)).toEqual([]);
      await screenshot(page, 'devices-confirm');
      const calls = await page.evaluate(() => (window as unknown as { __bluetoothCalls: string[] }).__bluetoothCalls);
      expect(calls).toEqual([
        'requestDevice:{"filters":[{"services":[6160]}],"optionalServices":[6154]}',
        'connect',
        'service:180a',
        'read:2a29',
        'read:2a24',
        'read:2a25',
        'read:2a27',
        'read:2a26',
        'service:1810',
        'characteristic:2a35',
        'startNotifications',
        'disconnect',
      ]);

      await page.getByRole('button', { name: 'Yes, send it' }).click();
      await page.getByRole('status').getByText('Reading sent').waitFor({ timeout: 20_000 });
      expect(await accessibilityProblems(page)).toEqual([]);
      await screenshot(page, 'devices-sent');

      const observations = await observationsOf(patient.patientId);
      expect(observations).toHaveLength(2);
      const panel = observations.find((o) => o.code?.coding?.some((c) => c.code === '85354-9'));
      const pulse = observations.find((o) => o !== panel);
      expect(panel?.component?.map((c) => [c.code?.coding?.[0]?.code, c.valueQuantity?.value])).toEqual([
        ['8480-6', 138],
        ['8462-4', 88],
        ['8478-0', 120],
      ]);
      expect(pulse?.valueQuantity).toMatchObject({ value: 60, code: '/min' });
      // Exactly one Device, from the Device Information, held by the patient.
      const devices = await devicesOf(patient.patientId);
      expect(devices).toHaveLength(1);
      const [device] = devices;
      expect(device).toMatchObject({
        manufacturer: 'E2E Medical',
        modelNumber: 'BP-E2E-7',
        serialNumber: 'SN-E2E-0042',
        deviceName: [{ name: 'E2E BP cuff' }],
        patient: { reference: `Patient/${patient.patientId}` },
      });
      expect(device.identifier?.map((i) => i.value)).toEqual(['e2e-bp-cuff-1', 'SN-E2E-0042']);
      expect(device.version?.map((v) => [v.type?.coding?.[0]?.code, v.value])).toEqual([
        ['531976', '4.0.1'],
        ['531974', 'rev B'],
      ]);
      for (const observation of observations) {
        expect(observation.device).toEqual({
          reference: `Device/${device.id}`,
          display: 'E2E BP cuff (Blood pressure monitor, Bluetooth)',
        });
        expect(observation.method?.coding?.[0]?.code).toBe('device');
        expect(observation.identifier?.some((i) => i.system?.endsWith('patient-app-reading'))).toBe(true);
      }

      // The screen lists the device the patient has used.
      const listed = page.getByTestId('my-device');
      await listed.filter({ hasText: 'Last reading:' }).waitFor({ timeout: 20_000 });
      expect(await listed.count()).toBe(1);
      expect(await listed.textContent()).toMatch(/^E2E BP cuffModel: E2E Medical BP-E2E-7Last reading: /);
      expect(await accessibilityProblems(page)).toEqual([]);
      expect(await smallTouchTargets(page)).toEqual([]);

      // A second reading from the same device: the same Device, two more Observations naming it.
      await page.getByRole('button', { name: 'Read another device' }).click();
      await page.getByRole('button', { name: 'Blood pressure monitor' }).click();
      await page.getByTestId('device-reading').waitFor();
      await page.getByRole('button', { name: 'Yes, send it' }).click();
      await page.getByRole('status').getByText('Reading sent').waitFor({ timeout: 20_000 });
      expect((await devicesOf(patient.patientId)).map((d) => d.id)).toEqual([device.id]);
      const all = await observationsOf(patient.patientId);
      expect(all).toHaveLength(4);
      expect(all.every((o) => o.device?.reference === `Device/${device.id}`)).toBe(true);
      await screenshot(page, 'devices-listed');
    },
    TEST_TIMEOUT
  );

  test(
    'a browser without Web Bluetooth: a plain message and the way to type the reading in',
    async () => {
      const patient = await createMonitoredPatient(ctx);
      phone = await phonePage(browser, ctx.server.baseUrl);
      const { page } = phone;
      await signInToApp(page, app, patient);
      await openScreen(page, 'Devices', 'My devices');
      await page.getByText('This phone or browser cannot connect to Bluetooth devices.').waitFor();
      expect(await page.getByRole('button', { name: 'Blood pressure monitor' }).count()).toBe(0);
      expect(await accessibilityProblems(page)).toEqual([]);
      await screenshot(page, 'devices-unsupported');
      await page.getByRole('link', { name: 'Type in a reading' }).click();
      await page.locator('h1', { hasText: 'Today' }).waitFor();
    },
    TEST_TIMEOUT
  );
});
