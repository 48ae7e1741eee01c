// Patient details as shown in the banner and worklist: NHS number groups, age in whole years, name.
import { describe, expect, test } from 'vitest';
import { ageInYears, displayName, formatNhsNumber, nhsNumber } from './patientDetails.ts';

describe('formatNhsNumber', () => {
  test('ten digits in 3-3-4 groups; spaces in the stored value are ignored; anything else is left alone', () => {
    expect(formatNhsNumber('9434765919')).toBe('943 476 5919');
    expect(formatNhsNumber('943 476 5919')).toBe('943 476 5919');
    expect(formatNhsNumber('12345')).toBe('12345');
  });

  test('only the NHS number identifier system counts', () => {
    expect(
      nhsNumber({
        resourceType: 'Patient',
        identifier: [
          { system: 'http://example.org/mrn', value: '1234567890' },
          { system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9000000009' },
        ],
      })
    ).toBe('900 000 0009');
    expect(nhsNumber({ resourceType: 'Patient' })).toBeUndefined();
  });
});

describe('ageInYears', () => {
  const now = new Date('2026-03-12T10:00:00Z');
  test('whole years, one less until the birthday', () => {
    expect(ageInYears('1948-03-12', now)).toBe(78);
    expect(ageInYears('1948-03-13', now)).toBe(77);
    expect(ageInYears('1948', now)).toBe(78);
    expect(ageInYears(undefined, now)).toBeUndefined();
    expect(ageInYears('12/03/1948', now)).toBeUndefined();
  });
});

describe('displayName', () => {
  test('given and family names, else the text, else the id', () => {
    expect(displayName({ resourceType: 'Patient', name: [{ given: ['Grace', 'Ada'], family: 'Okafor' }] })).toBe(
      'Grace Ada Okafor'
    );
    expect(displayName({ resourceType: 'Patient', name: [{ text: 'G. Okafor' }] })).toBe('G. Okafor');
    expect(displayName({ resourceType: 'Patient', id: 'p1' })).toBe('p1');
  });
});
