// The FHIR Device a patient's Bluetooth device becomes: identifiers, maker, model, serial, versions, type, holder.
import type { CodeableConcept, Device, DeviceVersion, Identifier } from '@medplum/fhirtypes';
import type { DeviceInformation } from '../bluetooth/deviceInformation.ts';
import { MDC } from '../bluetooth/vitalSignCodes.ts';
import { WEB_BLUETOOTH_DEVICE_SYSTEM, type DeviceType, type PairedDevice } from './deviceTypes.ts';

/**
 * MDC codes typing `Device.version[]`, as the device registry and the gateway contract use them
 * (server/src/devices/phdGatewayBundle.ts `MDC_VERSION_TYPES`; the app cannot import that server module).
 */
export const MDC_VERSION_TYPES = { hardware: '531974', software: '531975', firmware: '531976' } as const;

/** HL7 v2 identifier type "Serial Number" (table 0203), on the identifier made from the device's serial number. */
export const SERIAL_NUMBER_TYPE: CodeableConcept = {
  coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'SNO', display: 'Serial Number' }],
};

const VERSION_FIELDS: readonly [keyof DeviceInformation, keyof typeof MDC_VERSION_TYPES][] = [
  ['firmwareVersion', 'firmware'],
  ['softwareVersion', 'software'],
  ['hardwareVersion', 'hardware'],
];

/** The identifier the app finds the Device by again (conditional create): the Web Bluetooth id of the device. */
export function webBluetoothIdentifier(device: PairedDevice): Identifier {
  return { system: WEB_BLUETOOTH_DEVICE_SYSTEM, value: device.id };
}

/** `identifier=<system>|<value>` for the Device's conditional create (`ifNoneExist`). */
export function deviceIfNoneExist(device: Device): string {
  const own = device.identifier?.find((id) => id.system === WEB_BLUETOOTH_DEVICE_SYSTEM);
  if (!own?.value) {
    throw new Error('a paired Device needs its Web Bluetooth identifier');
  }
  return `identifier=${encodeURIComponent(`${own.system}|${own.value}`)}`;
}

/**
 * The Device for the device registry: the Web Bluetooth id (and the serial number, when the device gave one) as
 * identifiers; manufacturer, model, serial and versions from the Device Information Service, each only when given;
 * the Bluetooth name; the device type (MDC specialisation and words); held by the patient.
 */
export function pairedDeviceResource(device: PairedDevice, type: DeviceType, patientReference: string): Device {
  const info = device.information ?? {};
  const mdc = type.mdcSpecialisation ? [{ system: MDC, code: type.mdcSpecialisation }] : undefined;
  const versions: DeviceVersion[] = VERSION_FIELDS.flatMap(([field, kind]) =>
    info[field]
      ? [{ type: { coding: [{ system: MDC, code: MDC_VERSION_TYPES[kind] }], text: kind }, value: info[field] }]
      : []
  );
  return {
    resourceType: 'Device',
    identifier: [
      webBluetoothIdentifier(device),
      ...(info.serialNumber ? [{ type: SERIAL_NUMBER_TYPE, value: info.serialNumber }] : []),
    ],
    status: 'active',
    ...(info.manufacturer ? { manufacturer: info.manufacturer } : {}),
    ...(info.modelNumber ? { modelNumber: info.modelNumber } : {}),
    ...(info.serialNumber ? { serialNumber: info.serialNumber } : {}),
    deviceName: [{ name: device.name, type: 'user-friendly-name' }],
    type: { ...(mdc ? { coding: mdc } : {}), text: type.label },
    ...(mdc ? { specialization: [{ systemType: { coding: mdc } }] } : {}),
    ...(versions.length > 0 ? { version: versions } : {}),
    patient: { reference: patientReference },
  };
}
