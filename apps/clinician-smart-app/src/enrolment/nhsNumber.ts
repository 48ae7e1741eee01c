// NHS number entry: digits only, Modulus 11 check digit, and what to tell the clinician when it is not valid.
import { formatNhsNumber } from '../patient/patientDetails.ts';

export { formatNhsNumber };

/** The digits of what was typed, spaces and hyphens removed ("943 476 5919" → "9434765919"). */
export function nhsNumberDigits(input: string): string {
  return input.replace(/[\s-]/g, '');
}

/**
 * The Modulus 11 check digit of the first nine digits (weights 10 … 2; 11 − remainder, 11 → 0), or undefined when it
 * would be 10: no valid NHS number starts with those nine digits.
 */
export function nhsCheckDigit(firstNine: string): number | undefined {
  const sum = [...firstNine].reduce((total, digit, i) => total + Number(digit) * (10 - i), 0);
  const check = 11 - (sum % 11);
  if (check === 10) {
    return undefined;
  }
  return check === 11 ? 0 : check;
}

/** Why the typed NHS number cannot be used, in plain words; undefined when it is a valid NHS number. */
export function nhsNumberProblem(input: string): string | undefined {
  const digits = nhsNumberDigits(input);
  if (digits === '') {
    return 'Enter the NHS number.';
  }
  if (!/^\d+$/.test(digits)) {
    return 'An NHS number has only digits (spaces are allowed), for example 943 476 5919.';
  }
  if (digits.length !== 10) {
    return `An NHS number has 10 digits; this one has ${digits.length}.`;
  }
  const check = nhsCheckDigit(digits.slice(0, 9));
  if (check === undefined || check !== Number(digits[9])) {
    return 'This is not a valid NHS number: its last digit does not match the others (check for a typing error).';
  }
  return undefined;
}

export function isValidNhsNumber(input: string): boolean {
  return nhsNumberProblem(input) === undefined;
}
