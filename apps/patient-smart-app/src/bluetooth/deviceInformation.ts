// Device Information Service (0x180A): the device's maker, model, serial number and versions, as UTF-8 strings.
import type { CharacteristicValue } from './gattReader.ts';

/** Bluetooth SIG Device Information Service. */
export const DEVICE_INFORMATION_SERVICE = 0x180a;

/** What the service may tell; every field is optional (devices implement only some characteristics). */
export interface DeviceInformation {
  manufacturer?: string;
  modelNumber?: string;
  serialNumber?: string;
  hardwareVersion?: string;
  firmwareVersion?: string;
  softwareVersion?: string;
}

/** The characteristic (16-bit UUID) of each field. */
export const DEVICE_INFORMATION_CHARACTERISTICS: Readonly<Record<keyof DeviceInformation, number>> = {
  manufacturer: 0x2a29,
  modelNumber: 0x2a24,
  serialNumber: 0x2a25,
  hardwareVersion: 0x2a27,
  firmwareVersion: 0x2a26,
  softwareVersion: 0x2a28,
};

const MAX_LENGTH = 64;

/**
 * A Device Information string: UTF-8 (invalid bytes replaced), cut at the first NUL (some devices pad with them),
 * control characters removed, trimmed, at most 64 characters. Undefined when nothing is left.
 */
export function decodeDeviceInformationString(value: CharacteristicValue): string | undefined {
  const bytes =
    value instanceof DataView
      ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
      : value instanceof Uint8Array
        ? value
        : Uint8Array.from(value);
  const nul = bytes.indexOf(0);
  const text = new TextDecoder('utf-8')
    .decode(nul === -1 ? bytes : bytes.subarray(0, nul))
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .trim()
    .slice(0, MAX_LENGTH)
    .trim();
  return text || undefined;
}
