// buildSearchIndexRows: the rows each kind of value produces, aliases stored once, composite groups, and its cost.
import type { WithId } from '@medplum/core';
import type { Observation, Patient, Resource } from '@medplum/fhirtypes';
import { beforeAll, describe, expect, test } from 'vitest';
import { loadFhirDefinitions } from '../definitions.ts';
import { getTypeCatalog } from './catalog.ts';
import { buildSearchIndexRows } from './indexRows.ts';

beforeAll(() => loadFhirDefinitions());

function heartRate(i: number, patientId = 'p1'): WithId<Observation> {
  return {
    resourceType: 'Observation',
    id: `obs-${i}`,
    meta: { versionId: '1', lastUpdated: '2024-03-05T10:00:00.000Z' },
    status: 'final',
    category: [
      {
        coding: [
          {
            system: 'http://terminology.hl7.org/CodeSystem/observation-category',
            code: 'vital-signs',
            display: 'Vital Signs',
          },
        ],
      },
    ],
    code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }], text: 'Heart rate' },
    subject: { reference: `Patient/${patientId}` },
    effectiveDateTime: '2024-03-05T09:58:00Z',
    valueQuantity: { value: 60 + (i % 40), unit: 'beats/minute', system: 'http://unitsofmeasure.org', code: '/min' },
  };
}

const bloodPressure: WithId<Observation> = {
  resourceType: 'Observation',
  id: 'bp',
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }] },
  subject: { reference: 'Patient/p1/_history/3' },
  effectivePeriod: { start: '2024-03-05T09:00:00Z' },
  component: [
    {
      code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] },
      valueQuantity: { value: 120, system: 'http://unitsofmeasure.org', code: 'mm[Hg]', unit: 'mmHg' },
    },
    {
      code: { coding: [{ system: 'http://loinc.org', code: '8462-4' }] },
      valueQuantity: { value: 80, system: 'http://unitsofmeasure.org', code: 'mm[Hg]' },
    },
  ],
};

describe('buildSearchIndexRows', () => {
  test('a vital sign: one row per stored parameter; aliases (patient, combo-*) store nothing', () => {
    const rows = buildSearchIndexRows(heartRate(1));
    expect(rows.token).toEqual([
      { param: 'code', grp: 0, system: 'http://loinc.org', value: '8867-4', text: 'heart rate' },
      {
        param: 'category',
        grp: 0,
        system: 'http://terminology.hl7.org/CodeSystem/observation-category',
        value: 'vital-signs',
        text: 'vital signs',
      },
      { param: 'status', grp: 0, system: null, value: 'final', text: null },
    ]);
    expect(rows.reference).toEqual([{ param: 'subject', grp: 0, ref: 'Patient/p1' }]);
    expect(rows.date).toEqual([
      { param: 'date', grp: 0, low: '2024-03-05T09:58:00.000Z', high: '2024-03-05T09:58:00.999Z' },
    ]);
    expect(rows.quantity).toEqual([
      {
        param: 'value-quantity',
        grp: 0,
        low: '61',
        high: '61',
        system: 'http://unitsofmeasure.org',
        unitCode: '/min',
        unit: 'beats/minute',
      },
    ]);
    expect(rows.string).toEqual([]);
    expect(rows.uri).toEqual([]);
  });

  test('components are numbered (grp) so composite searches can pair code and value; periods and history refs are normalised', () => {
    const rows = buildSearchIndexRows(bloodPressure);
    expect(rows.token.filter((t) => t.param === 'component-code').map((t) => [t.value, t.grp])).toEqual([
      ['8480-6', 1],
      ['8462-4', 2],
    ]);
    expect(rows.quantity.map((q) => [q.param, q.low, q.grp, q.unit])).toEqual([
      ['component-value-quantity', '120', 1, 'mmHg'],
      ['component-value-quantity', '80', 2, null],
    ]);
    expect(rows.reference).toEqual([{ param: 'subject', grp: 0, ref: 'Patient/p1' }]);
    expect(rows.date).toEqual([{ param: 'date', grp: 0, low: '2024-03-05T09:00:00.000Z', high: 'infinity' }]);
  });

  test('patients: names (folded, exact kept), identifiers, telecom, booleans, dates, meta tags/profile/security/source', () => {
    const patient: WithId<Patient> = {
      resourceType: 'Patient',
      id: 'p',
      meta: {
        tag: [{ system: 'urn:tags', code: 'rpm' }],
        security: [{ system: 'urn:sec', code: 'R' }],
        profile: ['http://example.org/p'],
        source: 'urn:src',
      },
      active: true,
      name: [{ family: 'Müller', given: ['Anna', 'Lena'], text: 'Anna Lena Müller' }],
      identifier: [{ system: 'urn:mrn', value: 'MRN-1', type: { text: 'Medical record number' } }],
      telecom: [{ system: 'email', value: 'anna@example.org' }],
      birthDate: '1970-05',
      gender: 'female',
    };
    const rows = buildSearchIndexRows(patient);
    const strings = rows.string.filter((s) => s.param === 'name').map((s) => [s.norm, s.exact]);
    expect(strings).toEqual([
      ['muller', 'Müller'],
      ['anna', 'Anna'],
      ['lena', 'Lena'],
      ['anna lena muller', 'Anna Lena Müller'],
    ]);
    const tokens = (param: string) =>
      rows.token.filter((t) => t.param === param).map((t) => [t.system, t.value, t.text]);
    expect(tokens('identifier')).toEqual([['urn:mrn', 'MRN-1', 'medical record number']]);
    expect(tokens('email')).toEqual([['email', 'anna@example.org', null]]);
    expect(tokens('active')).toEqual([[null, 'true', null]]);
    expect(tokens('_tag')).toEqual([['urn:tags', 'rpm', null]]);
    expect(tokens('_security')).toEqual([['urn:sec', 'R', null]]);
    expect(tokens('deceased')).toEqual([[null, 'false', null]]);
    expect(rows.uri).toEqual([
      { param: '_profile', value: 'http://example.org/p' },
      { param: '_source', value: 'urn:src' },
    ]);
    expect(rows.date).toEqual([
      { param: 'birthdate', grp: 0, low: '1970-05-01T00:00:00.000Z', high: '1970-05-31T23:59:59.999Z' },
    ]);
  });

  test('identifier-only references are indexed as <param>:identifier tokens; canonicals keep url and url|version', () => {
    const rows = buildSearchIndexRows({
      resourceType: 'QuestionnaireResponse',
      id: 'qr',
      status: 'completed',
      questionnaire: 'http://example.org/Questionnaire/q|2.0',
      subject: { identifier: { system: 'urn:mrn', value: 'MRN-9' } },
    } as WithId<Resource>);
    expect(rows.reference.filter((r) => r.param === 'questionnaire').map((r) => r.ref)).toEqual([
      'http://example.org/Questionnaire/q|2.0',
      'http://example.org/Questionnaire/q',
    ]);
    expect(rows.token.filter((t) => t.param === 'subject:identifier').map((t) => [t.system, t.value])).toEqual([
      ['urn:mrn', 'MRN-9'],
    ]);
  });

  test('unknown resource types and invalid values produce no rows instead of failing', () => {
    expect(buildSearchIndexRows({ resourceType: 'NotAType', id: 'x' } as unknown as WithId<Resource>).token).toEqual(
      []
    );
    const rows = buildSearchIndexRows({ ...heartRate(2), effectiveDateTime: 'not-a-date' } as WithId<Observation>);
    expect(rows.date).toEqual([]);
  });

  test('the catalog stores aliases once and shares composite rows', () => {
    const catalog = getTypeCatalog('Observation');
    const byCode = catalog?.byCode;
    expect(byCode?.get('patient')).toMatchObject({ alias: true, rowParams: ['subject'], refType: 'Patient' });
    expect(byCode?.get('combo-code')?.rowParams.sort()).toEqual(['code', 'component-code']);
    expect(byCode?.get('component-code-value-quantity')?.composite).toMatchObject({
      sameResource: false,
      ownRows: false,
    });
    expect(byCode?.get('code-value-quantity')?.composite).toMatchObject({ sameResource: true });
    expect(catalog?.indexed.map((p) => p.code)).not.toContain('patient');
  });
});
