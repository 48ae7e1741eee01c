// Compiled Subscription filters agree with @medplum/core's matchesSearchRequest (the oracle) on every case here.
import { matchesSearchRequest, parseSearchRequest } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadFhirDefinitions } from '../fhir/definitions.ts';
import { compileSearchFilter } from './compiledFilters.ts';

const LOINC = 'http://loinc.org';
const spo2 = (extra: Record<string, unknown> = {}): Resource =>
  ({
    resourceType: 'Observation',
    status: 'final',
    code: {
      coding: [
        { system: LOINC, code: '2708-6' },
        { system: 'http://snomed.info/sct', code: '431314004' },
      ],
    },
    subject: { reference: 'Patient/p1' },
    valueQuantity: { value: 97, unit: '%' },
    ...extra,
  }) as Resource;

const resources: Resource[] = [
  spo2(),
  spo2({ code: { coding: [{ code: '2708-6' }] } }),
  spo2({ code: { coding: [{ system: LOINC, code: '8867-4' }] } }),
  spo2({ code: { text: 'no codings' } }),
  spo2({ status: 'amended', identifier: [{ system: 'urn:device', value: 'abc' }] }),
  spo2({ code: { coding: [{ system: LOINC, code: '2708-6' }] }, category: [{ coding: [{ code: 'vital-signs' }] }] }),
  { resourceType: 'Patient', id: 'p1', active: true, gender: 'female', identifier: [{ system: 'urn:x', value: '1' }] },
  { resourceType: 'Patient', id: 'p2', gender: 'male' },
  { resourceType: 'DetectedIssue', status: 'preliminary', severity: 'high', patient: { reference: 'Patient/p1' } },
];

const criteria = [
  'Observation?code=http://loinc.org|2708-6',
  'Observation?code=2708-6',
  'Observation?code=|2708-6',
  'Observation?code=http://loinc.org|',
  'Observation?code=http://loinc.org|8867-4,http://loinc.org|2708-6',
  'Observation?code=http://snomed.info/sct|431314004',
  'Observation?code=http://loinc.org|9279-1',
  'Observation?status=final',
  'Observation?status=final,amended',
  'Observation?identifier=urn:device|abc',
  'Observation?code=2708-6&status=amended',
  'Observation?code:not=http://loinc.org|2708-6',
  'Observation?subject=Patient/p1',
  'Observation?category=vital-signs',
  'Patient?gender=female',
  'Patient?active=true',
  'Patient?identifier=urn:x|1',
  'DetectedIssue?severity=high',
  'DetectedIssue?status=preliminary,final',
];

describe('compileSearchFilter', () => {
  beforeAll(() => loadFhirDefinitions());

  it.each(criteria)('%s matches exactly what matchesSearchRequest matches', (text) => {
    const search = parseSearchRequest(text);
    const filters = (search.filters ?? []).map((f) => compileSearchFilter(search.resourceType, f));
    for (const resource of resources.filter((r) => r.resourceType === search.resourceType)) {
      const oracle = matchesSearchRequest(resource, search);
      expect({ resource, matched: filters.every((m) => m(resource)) }).toEqual({ resource, matched: oracle });
    }
  });

  it('the cases above include matches and misses for the fast token path', () => {
    const search = parseSearchRequest('Observation?code=http://loinc.org|8867-4,http://loinc.org|2708-6');
    const [filter] = (search.filters ?? []).map((f) => compileSearchFilter(search.resourceType, f));
    expect(resources.filter((r) => r.resourceType === 'Observation').map((r) => filter(r))).toEqual([
      true,
      false,
      true,
      false,
      true,
      true,
    ]);
  });
});
