// Device summaries: name, firmware from Device.version, last contact from the latest reading, calibration lines.
import type { Device, Observation } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import { calibrationLines, firmwareOf, summarizeDevice } from './deviceSummary.ts';

const device: Device & { id: string } = {
  resourceType: 'Device',
  id: 'd1',
  status: 'active',
  manufacturer: 'Omron',
  modelNumber: 'M7',
  serialNumber: 'SN-123',
  deviceName: [{ name: 'Home blood pressure monitor', type: 'user-friendly-name' }],
  version: [
    { type: { text: 'hardware' }, value: 'rev B' },
    { type: { coding: [{ code: 'firmware' }] }, value: '2.4.1' },
  ],
};

describe('summarizeDevice', () => {
  test('maker, model, serial, firmware and the last reading as last contact', () => {
    const now = Date.parse('2026-03-12T12:00:00Z');
    const latest: Observation = {
      resourceType: 'Observation',
      status: 'final',
      code: {},
      effectiveDateTime: '2026-03-12T09:00:00Z',
    };
    expect(summarizeDevice(device, latest, [], now)).toMatchObject({
      name: 'Home blood pressure monitor',
      manufacturer: 'Omron',
      model: 'M7',
      serial: 'SN-123',
      firmware: '2.4.1',
      lastContact: expect.stringMatching(/^3 h ago \(12 Mar 2026, \d\d:00\)$/),
      calibration: [],
    });
    expect(summarizeDevice(device, undefined, [], now).lastContact).toBe('no readings received');
  });

  test('firmware: any version when none says firmware; none without versions', () => {
    expect(firmwareOf({ resourceType: 'Device', version: [{ value: '1.0' }] })).toBe('1.0');
    expect(firmwareOf({ resourceType: 'Device' })).toBeUndefined();
  });
});

describe('calibrationLines', () => {
  test('one line per calibration, state in words', () => {
    expect(
      calibrationLines([
        {
          resourceType: 'DeviceMetric',
          type: { text: 'Blood pressure' },
          category: 'measurement',
          calibration: [{ state: 'calibration-required' }],
        },
      ])
    ).toEqual(['Blood pressure: calibration required']);
  });
});
