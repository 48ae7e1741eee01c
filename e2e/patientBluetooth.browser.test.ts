// The patient app's Bluetooth pairing at phone size with a fake navigator.bluetooth serving the RPM-REFERENCE blood
// pressure vector: choose, connect, indication, confirm, Observation on the server with values and the device.
import type { Observation } from '@medplum/fhirtypes';
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

/**
 * A fake Web Bluetooth for the page: requestDevice records its options and returns "E2E BP cuff"; the GATT server
 * serves service 0x1810 with characteristic 0x2A35, which sends one indication with the vector after
 * startNotifications. Calls are recorded on window.__bluetoothCalls.
 */
const FAKE_BLUETOOTH = `
(() => {
  const bytes = new Uint8Array(${JSON.stringify(BP_VECTOR)});
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
    'a blood pressure monitor: pair, read the indication, confirm, and the Observations carry values and device',
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
        'requestDevice:{"filters":[{"services":[6160]}]}',
        'connect',
        'service:1810',
        'characteristic:2a35',
        'startNotifications',
        'disconnect',
      ]);

      await page.getByRole('button', { name: 'Yes, send it' }).click();
      await page.getByRole('status').getByText('Reading sent').waitFor({ timeout: 20_000 });
      expect(await accessibilityProblems(page)).toEqual([]);
      await screenshot(page, 'devices-sent');

      const res = await ctx.api(`Observation?subject=Patient/${patient.patientId}&_count=20`);
      const observations = (((await res.json()) as { entry?: { resource: Observation }[] }).entry ?? []).map(
        (e) => e.resource
      );
      expect(observations).toHaveLength(2);
      const panel = observations.find((o) => o.code?.coding?.some((c) => c.code === '85354-9'));
      const pulse = observations.find((o) => o !== panel);
      expect(panel?.component?.map((c) => [c.code?.coding?.[0]?.code, c.valueQuantity?.value])).toEqual([
        ['8480-6', 138],
        ['8462-4', 88],
        ['8478-0', 120],
      ]);
      expect(pulse?.valueQuantity).toMatchObject({ value: 60, code: '/min' });
      for (const observation of observations) {
        expect(observation.device).toEqual({
          identifier: {
            system: 'http://rpm-platform.org/fhir/identifier/web-bluetooth-device',
            value: 'e2e-bp-cuff-1',
          },
          display: 'E2E BP cuff (Blood pressure monitor, Bluetooth)',
        });
        expect(observation.method?.coding?.[0]?.code).toBe('device');
        expect(observation.identifier?.some((i) => i.system?.endsWith('patient-app-reading'))).toBe(true);
      }
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
