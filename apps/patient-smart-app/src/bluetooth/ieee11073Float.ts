// IEEE 11073-20601 SFLOAT (16-bit) and FLOAT (32-bit) numbers as Bluetooth health devices send them, special values included.

/** The values a device sends instead of a number: not a number, not at this resolution, ±infinity, reserved. */
export type SpecialValue = 'nan' | 'nres' | 'positive-infinity' | 'negative-infinity' | 'reserved';

/** A decoded medical float: a number, or one of the special values (never turned into a number). */
export type MedicalFloat = { kind: 'number'; value: number } | { kind: 'special'; special: SpecialValue };

const SFLOAT_SPECIALS: ReadonlyMap<number, SpecialValue> = new Map([
  [0x07ff, 'nan'],
  [0x0800, 'nres'],
  [0x07fe, 'positive-infinity'],
  [0x0802, 'negative-infinity'],
  [0x0801, 'reserved'],
]);

const FLOAT_SPECIALS: ReadonlyMap<number, SpecialValue> = new Map([
  [0x007fffff, 'nan'],
  [0x00800000, 'nres'],
  [0x007ffffe, 'positive-infinity'],
  [0x00800002, 'negative-infinity'],
  [0x00800001, 'reserved'],
]);

/** Two's-complement value of the low `bits` bits of `raw`. */
function signed(raw: number, bits: number): number {
  const sign = 1 << (bits - 1);
  return (raw & (sign - 1)) - (raw & sign);
}

/** mantissa × 10^exponent without the binary noise of multiplying by 0.1 (940 × 10⁻¹ is exactly 94). */
function scale(mantissa: number, exponent: number): number {
  return exponent < 0 ? mantissa / 10 ** -exponent : mantissa * 10 ** exponent;
}

/** Decodes a 16-bit SFLOAT: 4-bit signed exponent, 12-bit signed mantissa. */
export function decodeSfloat(raw: number): MedicalFloat {
  if (!Number.isInteger(raw) || raw < 0 || raw > 0xffff) {
    throw new RangeError(`SFLOAT must be a 16-bit unsigned integer, got ${raw}`);
  }
  const special = SFLOAT_SPECIALS.get(raw);
  if (special) {
    return { kind: 'special', special };
  }
  return { kind: 'number', value: scale(signed(raw & 0x0fff, 12), signed(raw >> 12, 4)) };
}

/** Decodes a 32-bit FLOAT: 8-bit signed exponent, 24-bit signed mantissa. */
export function decodeFloat(raw: number): MedicalFloat {
  if (!Number.isInteger(raw) || raw < 0 || raw > 0xffffffff) {
    throw new RangeError(`FLOAT must be a 32-bit unsigned integer, got ${raw}`);
  }
  const special = FLOAT_SPECIALS.get(raw);
  if (special) {
    return { kind: 'special', special };
  }
  return { kind: 'number', value: scale(signed(raw & 0x00ffffff, 24), signed(raw >>> 24, 8)) };
}
