// Value set expansion: explicit concepts, whole local code systems, nested value sets, exclusions, filter and paging.
import { beforeAll, describe, expect, test } from 'vitest';
import { OperationOutcomeError } from '@medplum/core';
import type { ValueSet } from '@medplum/fhirtypes';
import { expandValueSet, valueSetConcepts } from './expandValueSet.ts';
import { getValueSet } from './registry.ts';
import { registerProjectConformance, RPM_VITAL_SIGNS_VS } from './testConformance.ts';

beforeAll(() => registerProjectConformance());

const vitalSigns = (): ValueSet => getValueSet(RPM_VITAL_SIGNS_VS) as ValueSet;

describe('expandValueSet', () => {
  test('lists the explicit concepts of the RPM vital-sign value set', () => {
    const expanded = expandValueSet(vitalSigns());
    expect(expanded.compose).toBeUndefined();
    expect(expanded.url).toBe(RPM_VITAL_SIGNS_VS);
    expect(expanded.expansion).toMatchObject({ total: 11, offset: 0 });
    expect(expanded.expansion?.identifier).toMatch(/^urn:uuid:/);
    expect(Date.parse(expanded.expansion?.timestamp as string)).not.toBeNaN();
    expect(expanded.expansion?.contains?.map((c) => c.code)).toEqual([
      '85354-9',
      '8480-6',
      '8462-4',
      '8478-0',
      '8867-4',
      '2708-6',
      '59408-5',
      '8310-5',
      '29463-7',
      '9279-1',
      '2339-0',
    ]);
    expect(expanded.expansion?.contains?.[4]).toEqual({
      system: 'http://loinc.org',
      code: '8867-4',
      display: 'Heart rate',
    });
  });

  test('filters case-insensitively on display and code', () => {
    const byDisplay = expandValueSet(vitalSigns(), { filter: 'BLOOD PRESSURE' });
    expect(byDisplay.expansion?.contains?.map((c) => c.code)).toEqual(['85354-9', '8480-6', '8462-4', '8478-0']);
    expect(byDisplay.expansion?.total).toBe(4);
    expect(byDisplay.expansion?.parameter).toContainEqual({ name: 'filter', valueString: 'BLOOD PRESSURE' });
    expect(expandValueSet(vitalSigns(), { filter: '8867' }).expansion?.contains?.map((c) => c.code)).toEqual([
      '8867-4',
    ]);
    expect(expandValueSet(vitalSigns(), { filter: 'no such thing' }).expansion).toMatchObject({
      total: 0,
      contains: [],
    });
  });

  test('pages with offset and count; total counts every match', () => {
    const page = expandValueSet(vitalSigns(), { offset: 2, count: 3 });
    expect(page.expansion).toMatchObject({ total: 11, offset: 2 });
    expect(page.expansion?.contains?.map((c) => c.code)).toEqual(['8462-4', '8478-0', '8867-4']);
    expect(expandValueSet(vitalSigns(), { offset: 20 }).expansion?.contains).toEqual([]);
  });

  test('expands whole code systems of FHIR R4 (administrative-gender)', () => {
    const gender = getValueSet('http://hl7.org/fhir/ValueSet/administrative-gender') as ValueSet;
    expect(expandValueSet(gender).expansion?.contains?.map((c) => c.code)).toEqual([
      'male',
      'female',
      'other',
      'unknown',
    ]);
  });

  test('includes other value sets and applies exclusions', () => {
    const composed: ValueSet = {
      resourceType: 'ValueSet',
      status: 'active',
      compose: {
        include: [{ valueSet: [RPM_VITAL_SIGNS_VS] }, { system: 'http://hl7.org/fhir/administrative-gender' }],
        exclude: [
          { system: 'http://loinc.org', concept: [{ code: '2339-0' }] },
          { system: 'http://hl7.org/fhir/administrative-gender', concept: [{ code: 'unknown' }] },
        ],
      },
    };
    const codes = valueSetConcepts(composed).map((c) => c.code);
    expect(codes).toHaveLength(10 + 3);
    expect(codes).not.toContain('2339-0');
    expect(codes).toContain('female');
  });

  test.each([
    ['all of LOINC', { system: 'http://loinc.org' }, /Code system http:\/\/loinc.org is not available/],
    [
      'a compose filter',
      { system: 'http://snomed.info/sct', filter: [{ property: 'concept', op: 'is-a', value: '1' }] },
      /filters are not supported/,
    ],
    ['an unknown value set', { valueSet: ['http://example.org/ValueSet/none'] }, /not available on this server/],
  ] as const)('cannot expand %s: not-supported', (_name, include, message) => {
    const valueSet = { resourceType: 'ValueSet', status: 'active', compose: { include: [include] } } as ValueSet;
    try {
      expandValueSet(valueSet);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(OperationOutcomeError);
      const issue = (err as OperationOutcomeError).outcome.issue[0];
      expect(issue.code).toBe('not-supported');
      expect(issue.details?.text).toMatch(message);
    }
  });
});
