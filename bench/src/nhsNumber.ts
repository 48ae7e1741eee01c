// Valid NHS Numbers (Modulus 11 check digit) in the 999 test range, one per synthetic patient.

export const NHS_NUMBER_SYSTEM = 'https://fhir.nhs.uk/Id/nhs-number';

/** The check digit for the first nine digits, or undefined when no valid number has them (remainder 10). */
export function nhsCheckDigit(firstNine: string): number | undefined {
  let sum = 0;
  for (let i = 0; i < 9; i++) {
    sum += Number(firstNine[i]) * (10 - i);
  }
  const check = 11 - (sum % 11);
  if (check === 10) {
    return undefined;
  }
  return check === 11 ? 0 : check;
}

export function isValidNhsNumber(value: string): boolean {
  return /^\d{10}$/.test(value) && nhsCheckDigit(value.slice(0, 9)) === Number(value[9]);
}

/**
 * The first `count` valid NHS Numbers from 999 000 000x up (the range NHS Digital reserves for testing),
 * skipping prefixes that have no valid check digit. Deterministic: patient i always gets the same number.
 */
export function nhsNumbers(count: number): string[] {
  const numbers: string[] = [];
  for (let prefix = 999_000_000; numbers.length < count && prefix <= 999_999_999; prefix++) {
    const check = nhsCheckDigit(String(prefix));
    if (check !== undefined) {
      numbers.push(`${prefix}${check}`);
    }
  }
  return numbers;
}
