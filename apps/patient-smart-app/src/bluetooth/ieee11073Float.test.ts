// SFLOAT and FLOAT against RPM-REFERENCE.md's examples, every special value, signs and bad input.
import { describe, expect, test } from 'vitest';
import { decodeFloat, decodeSfloat } from './ieee11073Float.ts';

const number = (value: number) => ({ kind: 'number', value });
const special = (name: string) => ({ kind: 'special', special: name });

describe('SFLOAT', () => {
  test("RPM-REFERENCE.md's examples", () => {
    expect(decodeSfloat(0xf014)).toEqual(number(2));
    expect(decodeSfloat(0xe0c8)).toEqual(number(2));
    expect(decodeSfloat(0x0b2e)).toEqual(number(-1234));
  });

  test('the worked vectors: 94.0 %, 147.0 /min, PAI 8.70, glucose 99 × 10⁻⁵', () => {
    expect(decodeSfloat(0xf3ac)).toEqual(number(94));
    expect(decodeSfloat(0xf5be)).toEqual(number(147));
    expect(decodeSfloat(0xe366)).toEqual(number(8.7));
    expect(decodeSfloat(0xb063)).toEqual(number(0.00099));
  });

  test('every special value is a special value, never a number', () => {
    expect(decodeSfloat(0x07ff)).toEqual(special('nan'));
    expect(decodeSfloat(0x0800)).toEqual(special('nres'));
    expect(decodeSfloat(0x07fe)).toEqual(special('positive-infinity'));
    expect(decodeSfloat(0x0802)).toEqual(special('negative-infinity'));
    expect(decodeSfloat(0x0801)).toEqual(special('reserved'));
  });

  test('the same mantissas with a non-zero exponent are ordinary numbers', () => {
    expect(decodeSfloat(0x17ff)).toEqual(number(20470));
    expect(decodeSfloat(0xf800)).toEqual(number(-204.8));
  });

  test('extremes: largest mantissa, negative mantissa, positive and negative exponents, zero', () => {
    expect(decodeSfloat(0x07fd)).toEqual(number(2045));
    expect(decodeSfloat(0x0803)).toEqual(number(-2045));
    expect(decodeSfloat(0x7001)).toEqual(number(1e7));
    expect(decodeSfloat(0x8001)).toEqual(number(1e-8));
    expect(decodeSfloat(0xffff)).toEqual(number(-0.1));
    expect(decodeSfloat(0x0000)).toEqual(number(0));
  });

  test('a value that is not 16 bits is refused', () => {
    expect(() => decodeSfloat(0x10000)).toThrow(/16-bit/);
    expect(() => decodeSfloat(-1)).toThrow(/16-bit/);
    expect(() => decodeSfloat(1.5)).toThrow(/16-bit/);
  });
});

describe('FLOAT', () => {
  test("RPM-REFERENCE.md's example and the thermometer vector's 37.60", () => {
    expect(decodeFloat(0xff000014)).toEqual(number(2));
    expect(decodeFloat(0xfe000eb0)).toEqual(number(37.6));
  });

  test('every special value', () => {
    expect(decodeFloat(0x007fffff)).toEqual(special('nan'));
    expect(decodeFloat(0x00800000)).toEqual(special('nres'));
    expect(decodeFloat(0x007ffffe)).toEqual(special('positive-infinity'));
    expect(decodeFloat(0x00800002)).toEqual(special('negative-infinity'));
    expect(decodeFloat(0x00800001)).toEqual(special('reserved'));
  });

  test('negative mantissa and positive exponent', () => {
    expect(decodeFloat(0xfffffc18)).toEqual(number(-100));
    expect(decodeFloat(0x02000005)).toEqual(number(500));
    expect(decodeFloat(0x01800000)).toEqual(number(-83886080));
  });

  test('a value that is not 32 bits is refused', () => {
    expect(() => decodeFloat(0x100000000)).toThrow(/32-bit/);
    expect(() => decodeFloat(-5)).toThrow(/32-bit/);
  });
});
