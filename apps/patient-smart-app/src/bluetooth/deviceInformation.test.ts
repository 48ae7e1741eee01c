// Device Information Service strings: UTF-8, NUL padding, empty values.
import { describe, expect, test } from 'vitest';
import { decodeDeviceInformationString } from './deviceInformation.ts';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('decodeDeviceInformationString', () => {
  test('plain and non-ASCII UTF-8 text, from a DataView as Web Bluetooth gives it', () => {
    const bytes = utf8('Omron Healthcare');
    expect(decodeDeviceInformationString(new DataView(bytes.buffer))).toBe('Omron Healthcare');
    expect(decodeDeviceInformationString(utf8('Müller Medizintechnik'))).toBe('Müller Medizintechnik');
  });

  test('NUL padding, control characters and spaces are dropped; nothing left is undefined', () => {
    expect(decodeDeviceInformationString([0x53, 0x4e, 0x2d, 0x31, 0x00, 0x00, 0x41])).toBe('SN-1');
    expect(decodeDeviceInformationString(utf8(' 1.2.3\r\n'))).toBe('1.2.3');
    expect(decodeDeviceInformationString([])).toBeUndefined();
    expect(decodeDeviceInformationString([0x00, 0x00])).toBeUndefined();
    expect(decodeDeviceInformationString(utf8('   '))).toBeUndefined();
  });

  test('a very long value is cut to 64 characters', () => {
    expect(decodeDeviceInformationString(utf8('x'.repeat(200)))).toHaveLength(64);
  });
});
