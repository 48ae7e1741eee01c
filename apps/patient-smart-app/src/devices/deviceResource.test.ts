// The Device a Bluetooth device becomes: every Device Information field when given, nothing made up when not.
import { describe, expect, test } from 'vitest';
import {
  MDC_SPECIALISATIONS,
  MDC_SYSTEM,
  MDC_VERSION_TYPES as REGISTRY_VERSION_TYPES,
} from '../../../../server/src/devices/phdGatewayBundle.ts';
import { MDC } from '../bluetooth/vitalSignCodes.ts';
import { deviceIfNoneExist, MDC_VERSION_TYPES, pairedDeviceResource } from './deviceResource.ts';
import { DEVICE_TYPES, WEB_BLUETOOTH_DEVICE_SYSTEM } from './deviceTypes.ts';

const type = (key: string) => DEVICE_TYPES.find((t) => t.key === key) as (typeof DEVICE_TYPES)[number];

describe('pairedDeviceResource', () => {
  test('a device with the whole Device Information Service', () => {
    const device = pairedDeviceResource(
      {
        id: 'Ab+1/cd==',
        name: 'Cuff BP-1',
        information: {
          manufacturer: 'Acme Medical',
          modelNumber: 'BP-700',
          serialNumber: 'SN-4411',
          hardwareVersion: 'B',
          firmwareVersion: '2.4.1',
          softwareVersion: '1.0',
        },
      },
      type('blood-pressure'),
      'Patient/p'
    );
    expect(device).toEqual({
      resourceType: 'Device',
      identifier: [
        { system: WEB_BLUETOOTH_DEVICE_SYSTEM, value: 'Ab+1/cd==' },
        {
          type: {
            coding: [
              { system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'SNO', display: 'Serial Number' },
            ],
          },
          value: 'SN-4411',
        },
      ],
      status: 'active',
      manufacturer: 'Acme Medical',
      modelNumber: 'BP-700',
      serialNumber: 'SN-4411',
      deviceName: [{ name: 'Cuff BP-1', type: 'user-friendly-name' }],
      type: { coding: [{ system: MDC, code: '528391' }], text: 'Blood pressure monitor' },
      specialization: [{ systemType: { coding: [{ system: MDC, code: '528391' }] } }],
      version: [
        { type: { coding: [{ system: MDC, code: '531976' }], text: 'firmware' }, value: '2.4.1' },
        { type: { coding: [{ system: MDC, code: '531975' }], text: 'software' }, value: '1.0' },
        { type: { coding: [{ system: MDC, code: '531974' }], text: 'hardware' }, value: 'B' },
      ],
      patient: { reference: 'Patient/p' },
    });
    // Conditional create on the Web Bluetooth id, encoded for the query string.
    expect(deviceIfNoneExist(device)).toBe(
      `identifier=${encodeURIComponent(`${WEB_BLUETOOTH_DEVICE_SYSTEM}|Ab+1/cd==`)}`
    );
  });

  test('without Device Information: only what is known; a heart rate strap has no MDC specialisation', () => {
    const device = pairedDeviceResource({ id: 'hr-1', name: 'Strap' }, type('heart-rate'), 'Patient/p');
    expect(device).toEqual({
      resourceType: 'Device',
      identifier: [{ system: WEB_BLUETOOTH_DEVICE_SYSTEM, value: 'hr-1' }],
      status: 'active',
      deviceName: [{ name: 'Strap', type: 'user-friendly-name' }],
      type: { text: 'Heart rate strap' },
      patient: { reference: 'Patient/p' },
    });
    const partial = pairedDeviceResource(
      { id: 'ox-1', name: 'Oxi', information: { firmwareVersion: '3.1' } },
      type('pulse-oximeter'),
      'Patient/p'
    );
    expect(partial.manufacturer).toBeUndefined();
    expect(partial.serialNumber).toBeUndefined();
    expect(partial.identifier).toHaveLength(1);
    expect(partial.version).toEqual([
      { type: { coding: [{ system: MDC, code: '531976' }], text: 'firmware' }, value: '3.1' },
    ]);
  });

  test("the codes are the device registry's (server/src/devices/phdGatewayBundle.ts)", () => {
    expect(MDC).toBe(MDC_SYSTEM);
    expect(MDC_VERSION_TYPES).toEqual(REGISTRY_VERSION_TYPES);
    const specialisations = Object.fromEntries(DEVICE_TYPES.map((t) => [t.key, t.mdcSpecialisation]));
    expect(specialisations).toEqual({
      'blood-pressure': MDC_SPECIALISATIONS.bloodPressureMonitor,
      'pulse-oximeter': MDC_SPECIALISATIONS.pulseOximeter,
      thermometer: MDC_SPECIALISATIONS.thermometer,
      'weight-scale': MDC_SPECIALISATIONS.weighingScale,
      'heart-rate': undefined,
      glucose: MDC_SPECIALISATIONS.glucoseMeter,
    });
  });
});
