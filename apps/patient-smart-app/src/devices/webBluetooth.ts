// Web Bluetooth: choose a device of one type, connect, wait for one measurement (indication), disconnect.
import type { DeviceType, PairedDevice } from './deviceTypes.ts';

/** The part of the Web Bluetooth API the app uses (TypeScript's DOM library does not declare it). */
interface GattCharacteristic extends EventTarget {
  value?: DataView;
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
  requestDevice(options: { filters: { services: number[] }[] }): Promise<BluetoothDeviceLike>;
}

/** Web Bluetooth, when this browser has it (Chrome on Android and desktop; not Safari or Firefox). */
export function webBluetooth(): BluetoothLike | undefined {
  return (navigator as Navigator & { bluetooth?: BluetoothLike }).bluetooth;
}

/** How long to wait for the device to send its measurement after connecting. */
export const MEASUREMENT_TIMEOUT_MS = 90_000;

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
 * `requestDevice` with the type's service as filter (the browser shows its chooser), GATT connect, subscribe to the
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
    const device = await bluetooth.requestDevice({ filters: [{ services: [type.service] }] });
    if (!device.gatt) {
      throw new DeviceProblem('This device cannot be read over Bluetooth.');
    }
    server = await device.gatt.connect();
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
    return { device: { id: device.id, name: device.name || type.label }, value };
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
