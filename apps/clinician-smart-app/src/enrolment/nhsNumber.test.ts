// NHS number: Modulus 11 check digit (incl. the check digit 10 case), plain-words problems, 3-3-4 formatting.
import { describe, expect, test } from 'vitest';
import { formatNhsNumber, isValidNhsNumber, nhsCheckDigit, nhsNumberDigits, nhsNumberProblem } from './nhsNumber.ts';

describe('NHS number', () => {
  test('valid examples from the NHS data dictionary pass, typed with or without spaces', () => {
    expect(isValidNhsNumber('9434765919')).toBe(true);
    expect(isValidNhsNumber('943 476 5919')).toBe(true);
    expect(isValidNhsNumber('900-000-0009')).toBe(true);
    expect(nhsNumberDigits(' 943 476-5919 ')).toBe('9434765919');
  });

  test('check digit: weights 10 … 2, 11 − remainder, 11 becomes 0', () => {
    expect(nhsCheckDigit('943476591')).toBe(9);
    expect(nhsCheckDigit('900000000')).toBe(9); // 9 × 10 = 90; 90 mod 11 = 2; 11 − 2 = 9
    expect(nhsCheckDigit('000000000')).toBe(0); // remainder 0 → 11 → 0
  });

  test('a check digit of 10 means no valid NHS number starts with those nine digits', () => {
    // 1×10 + 0 + … + 0 + 1×2 = 12; 12 mod 11 = 1; 11 − 1 = 10.
    expect(nhsCheckDigit('100000001')).toBeUndefined();
    for (let last = 0; last <= 9; last++) {
      expect(isValidNhsNumber(`100000001${last}`)).toBe(false);
    }
  });

  test('problems in plain words', () => {
    expect(nhsNumberProblem('')).toBe('Enter the NHS number.');
    expect(nhsNumberProblem('94347659')).toMatch(/10 digits; this one has 8/);
    expect(nhsNumberProblem('94347659AB')).toMatch(/only digits/);
    expect(nhsNumberProblem('9434765918')).toMatch(/not a valid NHS number/);
    expect(nhsNumberProblem('9434765919')).toBeUndefined();
  });

  test('written 3-3-4', () => {
    expect(formatNhsNumber('9434765919')).toBe('943 476 5919');
    expect(formatNhsNumber('943 476 5919')).toBe('943 476 5919');
    expect(formatNhsNumber('12345')).toBe('12345');
  });
});
