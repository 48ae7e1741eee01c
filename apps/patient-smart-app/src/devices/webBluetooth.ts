// Web Bluetooth: choose a device of one type, connect, read its Device Information, wait for one measurement, disconnect.
import {
  decodeDeviceInformationString,
  DEVICE_INFORMATION_CHARACTERISTICS,
  DEVICE_INFORMATION_SERVICE,
  type DeviceInformation,
} from '../bluetooth/deviceInformation.ts';
import type { DeviceType, PairedDevice } from './deviceTypes.ts';

/** The part of the Web Bluetooth API the app uses (TypeScript's DOM library does not declare it). */
interface GattCharacteristic extends EventTarget {
  value?: DataView;
  readValue?(): Promise<DataView>;
  startNotifications(): Promise<GattCharacteristic>;
  stopNotifications?(): Promise<GattCharacteristic>;
}
interface GattService {
  getCharacteristic(characteristic: number): Promise<GattCharacteristic>;
}
interface GattServer {
  connected?: boolean;
  connect(): Promise<GattServer>;
  disconnect(): void;
  getPrimaryService(service: number): Promise<GattService>;
}
interface BluetoothDeviceLike extends EventTarget {
  id: string;
  name?: string;
  gatt?: GattServer;
}
interface BluetoothLike {
  requestDevice(options: {
    filters: { services: number[] }[];
    optionalServices?: number[];
  }): Promise<BluetoothDeviceLike>;
}

/** Web Bluetooth, when this browser has it (Chrome on Android and desktop; not Safari or Firefox). */
export function webBluetooth(): BluetoothLike | undefined {
  return (navigator as Navigator & { bluetooth?: BluetoothLike }).bluetooth;
}

/** How long to wait for the device to send its measurement after connecting. */
export const MEASUREMENT_TIMEOUT_MS = 90_000;

/** How long the Device Information may take before the reading goes on without it. */
export const DEVICE_INFORMATION_TIMEOUT_MS = 5_000;

/**
 * The Device Information Service's values (maker, model, serial number, versions): each characteristic the device
 * has is read; a device without the service, a missing characteristic or an unreadable one is simply left out.
 */
async function readDeviceInformation(server: GattServer): Promise<DeviceInformation> {
  const information: DeviceInformation = {};
  let service: GattService;
  try {
    service = await server.getPrimaryService(DEVICE_INFORMATION_SERVICE);
  } catch {
    return information;
  }
  for (const [field, uuid] of Object.entries(DEVICE_INFORMATION_CHARACTERISTICS) as [
    keyof DeviceInformation,
    number,
  ][]) {
    try {
      const characteristic = await service.getCharacteristic(uuid);
      const value = characteristic.readValue ? await characteristic.readValue() : undefined;
      const text = value ? decodeDeviceInformationString(value) : undefined;
      if (text) {
        information[field] = text;
      }
    } catch {
      // Not offered by this device: left out.
    }
  }
  return information;
}

/** The Device Information, or none when the device takes too long to give it (the reading matters more). */
async function deviceInformationWithin(server: GattServer, ms: number): Promise<DeviceInformation> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<DeviceInformation>((resolve) => {
    timer = setTimeout(() => resolve({}), ms);
  });
  try {
    return await Promise.race([readDeviceInformation(server), late]);
  } finally {
    clearTimeout(timer);
  }
}

export interface DeviceMeasurement {
  device: PairedDevice;
  value: DataView;
}

/** A failure in plain words: the patient closed the chooser, the device went away, nothing arrived. */
export class DeviceProblem extends Error {}

function plainBluetoothError(err: unknown): DeviceProblem {
  const name = (err as { name?: string } | undefined)?.name;
  if (name === 'NotFoundError') {
    return new DeviceProblem('No device was chosen. Turn the device on, then try again.');
  }
  if (name === 'SecurityError' || name === 'NotAllowedError') {
    return new DeviceProblem('This phone did not allow the app to use Bluetooth. Check your Bluetooth settings.');
  }
  if (err instanceof DeviceProblem) {
    return err;
  }
  return new DeviceProblem(
    'We could not talk to the device. Make sure it is on and close to the phone, then try again.'
  );
}

/**
 * `requestDevice` with the type's service as filter (the browser shows its chooser), GATT connect, read the Device
 * Information Service (0x180A) when the device has it, subscribe to the
 * measurement characteristic and resolve with the first value it sends. Many devices send stored readings one after
 * the other: the first is taken (the patient checks it before it is sent). Always disconnects.
 */
export async function readOneMeasurement(type: DeviceType): Promise<DeviceMeasurement> {
  const bluetooth = webBluetooth();
  if (!bluetooth) {
    throw new DeviceProblem('This phone or browser cannot use Bluetooth devices.');
  }
  let server: GattServer | undefined;
  try {
    // Web Bluetooth opens only the services named here: the type's, and Device Information if the device has it.
    const device = await bluetooth.requestDevice({
      filters: [{ services: [type.service] }],
      optionalServices: [DEVICE_INFORMATION_SERVICE],
    });
    if (!device.gatt) {
      throw new DeviceProblem('This device cannot be read over Bluetooth.');
    }
    server = await device.gatt.connect();
    const information = await deviceInformationWithin(server, DEVICE_INFORMATION_TIMEOUT_MS);
    const service = await server.getPrimaryService(type.service);
    const characteristic = await service.getCharacteristic(type.characteristic);
    const value = await new Promise<DataView>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new DeviceProblem('No reading arrived. Take your measurement now, with the app open.')),
        MEASUREMENT_TIMEOUT_MS
      );
      characteristic.addEventListener('characteristicvaluechanged', (event) => {
        const changed = (event.target as GattCharacteristic | null)?.value ?? characteristic.value;
        if (changed) {
          clearTimeout(timer);
          resolve(changed);
        }
      });
      characteristic.startNotifications().catch((err: unknown) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    const paired: PairedDevice = { id: device.id, name: device.name || type.label };
    return { device: Object.keys(information).length > 0 ? { ...paired, information } : paired, value };
  } catch (err) {
    throw plainBluetoothError(err);
  } finally {
    try {
      server?.disconnect();
    } catch {
      // already gone
    }
  }
}
