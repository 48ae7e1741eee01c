// Reads little-endian GATT characteristic fields in order, failing clearly on a truncated value.
import { decodeFloat, decodeSfloat, type MedicalFloat } from './ieee11073Float.ts';

/** A characteristic value that is too short or otherwise cannot be decoded. */
export class GattDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GattDecodeError';
  }
}

/** A GATT date-time (0x2A08); a zero year, month or day means the device does not know it. */
export interface GattDateTime {
  year?: number;
  month?: number;
  day?: number;
  hours: number;
  minutes: number;
  seconds: number;
}

/** What Web Bluetooth hands over (DataView) or a test writes (Uint8Array, number[]). */
export type CharacteristicValue = DataView | Uint8Array | readonly number[];

export class GattReader {
  private readonly view: DataView;
  private offset = 0;
  private readonly characteristic: string;

  constructor(value: CharacteristicValue, characteristic: string) {
    this.characteristic = characteristic;
    if (value instanceof DataView) {
      this.view = value;
    } else {
      const bytes = value instanceof Uint8Array ? value : Uint8Array.from(value);
      this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
  }

  private take(bytes: number, field: string): number {
    if (this.offset + bytes > this.view.byteLength) {
      throw new GattDecodeError(
        `${this.characteristic}: truncated value, ${field} needs ${bytes} byte(s) at offset ${this.offset} ` +
          `but the value has ${this.view.byteLength} byte(s)`
      );
    }
    const at = this.offset;
    this.offset += bytes;
    return at;
  }

  /** Bytes not read yet. */
  remaining(): number {
    return this.view.byteLength - this.offset;
  }

  uint8(field: string): number {
    return this.view.getUint8(this.take(1, field));
  }

  uint16(field: string): number {
    return this.view.getUint16(this.take(2, field), true);
  }

  sint16(field: string): number {
    return this.view.getInt16(this.take(2, field), true);
  }

  uint24(field: string): number {
    const at = this.take(3, field);
    return this.view.getUint16(at, true) | (this.view.getUint8(at + 2) << 16);
  }

  sfloat(field: string): MedicalFloat {
    return decodeSfloat(this.uint16(field));
  }

  float(field: string): MedicalFloat {
    return decodeFloat(this.view.getUint32(this.take(4, field), true));
  }

  dateTime(field: string): GattDateTime {
    const year = this.uint16(`${field} year`);
    const month = this.uint8(`${field} month`);
    const day = this.uint8(`${field} day`);
    const hours = this.uint8(`${field} hours`);
    const minutes = this.uint8(`${field} minutes`);
    const seconds = this.uint8(`${field} seconds`);
    if (month > 12 || day > 31 || hours > 23 || minutes > 59 || seconds > 59) {
      throw new GattDecodeError(
        `${this.characteristic}: ${field} is not a valid date-time (${year}-${month}-${day} ${hours}:${minutes}:${seconds})`
      );
    }
    return {
      ...(year ? { year } : {}),
      ...(month ? { month } : {}),
      ...(day ? { day } : {}),
      hours,
      minutes,
      seconds,
    };
  }
}

/** True when bit `bit` of `flags` is set. */
export function flag(flags: number, bit: number): boolean {
  return (flags & (1 << bit)) !== 0;
}
