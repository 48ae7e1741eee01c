// NHS Numbers for synthetic patients pass the Modulus 11 check.
import { describe, expect, it } from 'vitest';
import { isValidNhsNumber, nhsCheckDigit, nhsNumbers } from './nhsNumber.ts';
import { benchPatients } from './generatePatients.ts';

describe('NHS Numbers', () => {
  it('agrees with the published valid examples', () => {
    expect(isValidNhsNumber('9434765919')).toBe(true);
    expect(isValidNhsNumber('9000000009')).toBe(true);
    expect(isValidNhsNumber('9434765918')).toBe(false);
    expect(nhsCheckDigit('943476591')).toBe(9);
  });

  it('generates distinct valid numbers in the 999 test range', () => {
    const numbers = nhsNumbers(1000);
    expect(numbers).toHaveLength(1000);
    expect(new Set(numbers).size).toBe(1000);
    expect(numbers.every((n) => n.startsWith('999') && isValidNhsNumber(n))).toBe(true);
  });

  it('gives each patient an NHS Number identifier, deterministically', () => {
    const patients = benchPatients(20, 1);
    expect(patients[0].identifier?.[0]).toEqual({
      system: 'https://fhir.nhs.uk/Id/nhs-number',
      value: nhsNumbers(1)[0],
    });
    expect(benchPatients(20, 1)).toEqual(patients);
  });
});
