// executeSearch on a real database: every parameter type with prefixes and modifiers, OR/AND, deleted resources, bad input.
import { Operator, OperationOutcomeError, parseSearchRequest, type SearchRequest } from '@medplum/core';
import type { Observation, Patient, Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { executeSearch } from './execute.ts';
import { parseSearchQuery } from './parseQuery.ts';
import {
  BASE_URL,
  deleteResource,
  LENIENT,
  matchIds,
  NO_REPO,
  search,
  STRICT,
  testPool,
  uid,
  writeResources,
} from './testUtils.ts';

const db = testPool();
afterAll(() => db.end());

/** Every resource of this file carries this tag, and every query filters on it, so parallel test files never interfere. */
const TAG = uid();
const scope = `_tag=urn:test|${TAG}`;
const tagged = <T extends Resource>(r: T): T => ({
  ...r,
  meta: { ...r.meta, tag: [...(r.meta?.tag ?? []), { system: 'urn:test', code: TAG }] },
});

const ids = async (type: string, query: string): Promise<string[]> =>
  matchIds(await search(db, type, `${scope}&${query}&_count=100`)).sort();

const P = { anna: uid(), bob: uid(), zoe: uid() };
const O = { hr1: uid(), hr2: uid(), bp: uid(), weight: uid(), noValue: uid() };

beforeAll(async () => {
  await writeResources(db, [
    tagged<Patient>({
      resourceType: 'Patient',
      id: P.anna,
      meta: {
        profile: ['http://example.org/fhir/StructureDefinition/rpm-patient'],
        security: [{ system: 'urn:sec', code: 'R' }],
        source: 'urn:device:hub-1',
      },
      active: true,
      name: [{ family: 'Müller', given: ['Anna'] }],
      gender: 'female',
      birthDate: '1970-05-15',
      identifier: [{ system: 'urn:mrn', value: `MRN-${P.anna}`, type: { text: 'Medical record number' } }],
      telecom: [
        { system: 'email', value: 'anna@example.org' },
        { system: 'phone', value: '+1-555-0100' },
      ],
      address: [{ city: 'Zürich', postalCode: '8001' }],
    }),
    tagged<Patient>({
      resourceType: 'Patient',
      id: P.bob,
      active: false,
      name: [{ family: 'Mullens', given: ['Bob'] }],
      gender: 'male',
      birthDate: '1985',
      identifier: [{ system: 'urn:other', value: `MRN-${P.anna}` }],
      generalPractitioner: [{ identifier: { system: 'urn:npi', value: '1234567890' } }],
    }),
    tagged<Patient>({
      resourceType: 'Patient',
      id: P.zoe,
      name: [{ family: 'Smith', given: ['Zoë'] }],
      deceasedDateTime: '2020-01-01',
    }),
  ]);
  const vital = (id: string, patient: string, code: string, date: string, value?: number, unit = '/min'): Observation =>
    tagged<Observation>({
      resourceType: 'Observation',
      id,
      status: 'final',
      category: [
        { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] },
      ],
      code: {
        coding: [{ system: 'http://loinc.org', code, display: code === '8867-4' ? 'Heart rate' : 'Body weight' }],
      },
      subject: { reference: `Patient/${patient}` },
      effectiveDateTime: date,
      ...(value === undefined
        ? {}
        : { valueQuantity: { value, unit, system: 'http://unitsofmeasure.org', code: unit } }),
    });
  await writeResources(db, [
    vital(O.hr1, P.anna, '8867-4', '2024-03-05T10:00:00Z', 72),
    vital(O.hr2, P.anna, '8867-4', '2024-03-06T23:30:00-05:00', 100),
    vital(O.weight, P.bob, '29463-7', '2024-02-10', 80.5, 'kg'),
    vital(O.noValue, P.bob, '8867-4', '2023-12-31T23:59:59Z'),
    tagged<Observation>({
      resourceType: 'Observation',
      id: O.bp,
      status: 'amended',
      code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }], text: 'Blood pressure panel' },
      subject: { reference: `${BASE_URL}/Patient/${P.zoe}` },
      effectivePeriod: { start: '2024-01-01', end: '2024-01-31' },
      performer: [{ reference: `Practitioner/${uid()}` }],
      component: [
        {
          code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] },
          valueQuantity: { value: 150, system: 'http://unitsofmeasure.org', code: 'mm[Hg]' },
        },
        {
          code: { coding: [{ system: 'http://loinc.org', code: '8462-4' }] },
          valueQuantity: { value: 95, system: 'http://unitsofmeasure.org', code: 'mm[Hg]' },
        },
      ],
    }),
  ]);
});

describe('string', () => {
  test('default is a case- and accent-insensitive starts-with on any name part', async () => {
    expect(await ids('Patient', 'name=mul')).toEqual([P.anna, P.bob].sort());
    expect(await ids('Patient', 'name=MÜLLER')).toEqual([P.anna]);
    expect(await ids('Patient', 'given=zoe')).toEqual([P.zoe]);
    expect(await ids('Patient', 'name=anna mu')).toEqual([P.anna]);
    expect(await ids('Patient', 'address-city=zurich')).toEqual([P.anna]);
    expect(await ids('Patient', 'name=ller')).toEqual([]);
  });

  test(':exact matches the whole value, case and accents included', async () => {
    expect(await ids('Patient', 'family:exact=Müller')).toEqual([P.anna]);
    expect(await ids('Patient', 'family:exact=Muller')).toEqual([]);
    expect(await ids('Patient', 'family:exact=müller')).toEqual([]);
    expect(await ids('Patient', 'family:exact=Smith')).toEqual([P.zoe]);
  });

  test(':contains matches anywhere; LIKE wildcards in values are literal', async () => {
    expect(await ids('Patient', 'name:contains=ull')).toEqual([P.anna, P.bob].sort());
    expect(await ids('Patient', 'name:contains=ller')).toEqual([P.anna]);
    expect(await ids('Patient', 'name:contains=%')).toEqual([]);
    expect(await ids('Patient', 'name=_')).toEqual([]);
  });

  test('comma is OR, repeated parameter is AND', async () => {
    expect(await ids('Patient', 'family=smith,mullens')).toEqual([P.bob, P.zoe].sort());
    expect(await ids('Patient', 'name=mul&name=bob')).toEqual([P.bob]);
  });
});

describe('token', () => {
  test('code, system|code, |code and system|', async () => {
    expect(await ids('Observation', 'code=8867-4')).toEqual([O.hr1, O.hr2, O.noValue].sort());
    expect(await ids('Observation', 'code=http://loinc.org|29463-7')).toEqual([O.weight]);
    expect(await ids('Observation', 'code=http://snomed.info/sct|29463-7')).toEqual([]);
    expect(await ids('Observation', 'status=|final')).toHaveLength(4);
    expect(await ids('Observation', 'code=|8867-4')).toEqual([]);
    expect(await ids('Patient', 'identifier=urn:mrn|')).toEqual([P.anna]);
  });

  test('identifiers, booleans, genders, ContactPoints', async () => {
    expect(await ids('Patient', `identifier=MRN-${P.anna}`)).toEqual([P.anna, P.bob].sort());
    expect(await ids('Patient', `identifier=urn:mrn|MRN-${P.anna}`)).toEqual([P.anna]);
    expect(await ids('Patient', 'active=true')).toEqual([P.anna]);
    expect(await ids('Patient', 'active=false')).toEqual([P.bob]);
    expect(await ids('Patient', 'gender=male,female')).toEqual([P.anna, P.bob].sort());
    expect(await ids('Patient', 'email=anna@example.org')).toEqual([P.anna]);
    expect(await ids('Patient', 'phone=anna@example.org')).toEqual([]);
    expect(await ids('Patient', 'telecom=phone|%2B1-555-0100')).toEqual([P.anna]);
    expect(await ids('Patient', 'deceased=true')).toEqual([P.zoe]);
    expect(await ids('Patient', 'deceased=false')).toEqual([P.anna, P.bob].sort());
  });

  test(':not excludes resources with a matching value (and keeps those without any)', async () => {
    expect(await ids('Observation', 'code:not=8867-4')).toEqual([O.weight, O.bp].sort());
    expect(await ids('Patient', 'active:not=true')).toEqual([P.bob, P.zoe].sort());
  });

  test(':text searches display, CodeableConcept.text and Identifier.type.text by words', async () => {
    expect(await ids('Observation', 'code:text=heart')).toEqual([O.hr1, O.hr2, O.noValue].sort());
    expect(await ids('Observation', 'code:text=pressure')).toEqual([O.bp]);
    expect(await ids('Observation', 'code:text=eart')).toEqual([]);
    expect(await ids('Patient', 'identifier:text=medical record')).toEqual([P.anna]);
  });

  test('_tag, _security', async () => {
    expect(await ids('Patient', 'family=smith')).toEqual([P.zoe]);
    expect(await ids('Patient', '_security=urn:sec|R')).toEqual([P.anna]);
  });
});

describe('reference', () => {
  test('Type/id, bare id, absolute URL to this server, history suffix', async () => {
    expect(await ids('Observation', `subject=Patient/${P.anna}`)).toEqual([O.hr1, O.hr2].sort());
    expect(await ids('Observation', `subject=${P.anna}`)).toEqual([O.hr1, O.hr2].sort());
    expect(await ids('Observation', `patient=${P.bob}`)).toEqual([O.weight, O.noValue].sort());
    expect(await ids('Observation', `subject=${BASE_URL}/Patient/${P.anna}`)).toEqual([O.hr1, O.hr2].sort());
    expect(await ids('Observation', `subject=Patient/${P.anna}/_history/7`)).toEqual([O.hr1, O.hr2].sort());
    expect(await ids('Observation', `subject=Group/${P.anna}`)).toEqual([]);
    expect(await ids('Observation', `subject=Patient/${P.anna},Patient/${P.bob}`)).toHaveLength(4);
  });

  test('absolute references to this server match relative searches, and the other way round', async () => {
    expect(await ids('Observation', `subject=${BASE_URL}/Patient/${P.zoe}`)).toEqual([O.bp]);
    expect(await ids('Observation', `subject=Patient/${P.zoe}`)).toEqual([O.bp]);
    expect(await ids('Observation', `subject=${P.zoe}`)).toEqual([O.bp]);
    expect(await ids('Observation', `subject=http://elsewhere.example/fhir/Patient/${P.zoe}`)).toEqual([]);
  });

  test('typed modifier and alias parameters', async () => {
    expect(await ids('Observation', `subject:Patient=${P.anna}`)).toEqual([O.hr1, O.hr2].sort());
    expect(await ids('Observation', `subject:Group=${P.anna}`)).toEqual([]);
    expect(await ids('Observation', `patient=Patient/${P.anna}`)).toEqual([O.hr1, O.hr2].sort());
  });

  test(':not excludes resources referring to the target', async () => {
    expect(await ids('Observation', `subject:not=Patient/${P.anna}`)).toEqual([O.weight, O.noValue, O.bp].sort());
  });

  test(':identifier matches logical references', async () => {
    expect(await ids('Patient', 'general-practitioner:identifier=urn:npi|1234567890')).toEqual([P.bob]);
    expect(await ids('Patient', 'general-practitioner:identifier=urn:npi|999')).toEqual([]);
  });

  test(':missing', async () => {
    expect(await ids('Observation', 'performer:missing=false')).toEqual([O.bp]);
    expect(await ids('Observation', 'performer:missing=true')).toHaveLength(4);
    expect(await ids('Patient', 'general-practitioner:missing=false')).toEqual([P.bob]);
  });
});

describe('date', () => {
  test('partial dates are ranges; eq means within', async () => {
    expect(await ids('Observation', 'date=2024-03')).toEqual([O.hr1, O.hr2].sort());
    expect(await ids('Observation', 'date=2024-03-05')).toEqual([O.hr1]);
    expect(await ids('Observation', 'date=2024-03-07')).toEqual([O.hr2]); // 23:30-05:00 is the 7th in UTC
    expect(await ids('Observation', 'date=2024-03-05T10:00')).toEqual([O.hr1]);
    expect(await ids('Observation', 'date=2024-03-05T12:00:00%2B02:00')).toEqual([O.hr1]);
    expect(await ids('Observation', 'date=2024')).toEqual([O.hr1, O.hr2, O.weight, O.bp].sort());
    expect(await ids('Observation', 'date=2024-01-15')).toEqual([]); // the BP period is not within one day
  });

  test('every prefix', async () => {
    expect(await ids('Observation', 'date=gt2024-03-05')).toEqual([O.hr2]);
    expect(await ids('Observation', 'date=ge2024-03-05')).toEqual([O.hr1, O.hr2].sort());
    expect(await ids('Observation', 'date=lt2024-01-01')).toEqual([O.noValue]);
    expect(await ids('Observation', 'date=le2024-01-01')).toEqual([O.noValue, O.bp].sort());
    expect(await ids('Observation', 'date=ne2024-03')).toEqual([O.weight, O.noValue, O.bp].sort());
    expect(await ids('Observation', 'date=sa2024-01-31')).toEqual([O.hr1, O.hr2, O.weight].sort());
    expect(await ids('Observation', 'date=eb2024-01-01')).toEqual([O.noValue]);
    expect(await ids('Observation', 'date=ap2024-02-10')).toContain(O.weight);
    expect(await ids('Observation', 'date=ge2024-01-15&date=le2024-01-20')).toEqual([O.bp]);
    expect(await ids('Observation', 'date=lt2024-01-01,gt2024-03-06')).toEqual([O.hr2, O.noValue].sort());
  });

  test('date (not dateTime) parameters and _lastUpdated', async () => {
    expect(await ids('Patient', 'birthdate=1970')).toEqual([P.anna]);
    expect(await ids('Patient', 'birthdate=1985-06')).toEqual([]);
    expect(await ids('Patient', 'birthdate=ge1985-06')).toEqual([P.bob]);
    const [late] = await writeResources(
      db,
      [tagged<Patient>({ resourceType: 'Patient', name: [{ family: 'Lateupdate' }] })],
      { lastUpdated: '2031-05-01T00:00:00.000Z' }
    );
    expect(await ids('Patient', '_lastUpdated=2031-05')).toEqual([late.id]);
    expect(await ids('Patient', '_lastUpdated=gt2031-01-01&name=lateupdate')).toEqual([late.id]);
    expect(await ids('Patient', '_lastUpdated=lt2031-01-01&name=lateupdate')).toEqual([]);
  });
});

describe('number and quantity', () => {
  test('quantity prefixes, systems and units', async () => {
    expect(await ids('Observation', 'value-quantity=72')).toEqual([O.hr1]);
    expect(await ids('Observation', 'value-quantity=72.4')).toEqual([]);
    expect(await ids('Observation', 'value-quantity=7.2e1')).toEqual([O.hr1]);
    expect(await ids('Observation', 'value-quantity=gt72')).toEqual([O.weight, O.hr2].sort());
    expect(await ids('Observation', 'value-quantity=ge72')).toEqual([O.hr1, O.weight, O.hr2].sort());
    expect(await ids('Observation', 'value-quantity=lt80.5')).toEqual([O.hr1]);
    expect(await ids('Observation', 'value-quantity=le80.5')).toEqual([O.hr1, O.weight].sort());
    expect(await ids('Observation', 'value-quantity=ne72')).toEqual([O.weight, O.hr2].sort());
    expect(await ids('Observation', 'value-quantity=ap98')).toEqual([O.hr2]);
    expect(await ids('Observation', 'value-quantity=80.5|http://unitsofmeasure.org|kg')).toEqual([O.weight]);
    expect(await ids('Observation', 'value-quantity=80.5|http://other|kg')).toEqual([]);
    expect(await ids('Observation', 'value-quantity=80.5||kg')).toEqual([O.weight]);
    expect(await ids('Observation', 'value-quantity=gt0||/min')).toEqual([O.hr1, O.hr2].sort());
    expect(await ids('Observation', 'combo-value-quantity=gt140')).toEqual([O.bp]);
    expect(await ids('Observation', 'value-quantity:missing=true')).toEqual([O.noValue, O.bp].sort());
  });

  test('number: implicit precision and ranges', async () => {
    const [a, b] = await writeResources(db, [
      tagged({
        resourceType: 'RiskAssessment',
        status: 'final',
        subject: { reference: `Patient/${P.anna}` },
        prediction: [{ probabilityDecimal: 0.25 }],
      } as Resource),
      tagged({
        resourceType: 'RiskAssessment',
        status: 'final',
        subject: { reference: `Patient/${P.bob}` },
        prediction: [{ probabilityRange: { low: { value: 0.5 }, high: { value: 0.9 } } }],
      } as Resource),
    ]);
    expect(await ids('RiskAssessment', 'probability=0.25')).toEqual([a.id]);
    expect(await ids('RiskAssessment', 'probability=0.3')).toEqual([a.id]); // 0.3 means [0.25, 0.35)
    expect(await ids('RiskAssessment', 'probability=0.30')).toEqual([]);
    expect(await ids('RiskAssessment', 'probability=gt0.8')).toEqual([b.id]);
    expect(await ids('RiskAssessment', 'probability=lt0.6')).toEqual([a.id, b.id].sort());
    expect(await ids('RiskAssessment', 'probability=sa0.3')).toEqual([b.id]);
    expect(await ids('RiskAssessment', 'probability=eb0.3')).toEqual([a.id]);
  });
});

describe('uri, _id, _profile, _source', () => {
  test('exact, :below and :above', async () => {
    expect(await ids('Patient', '_profile=http://example.org/fhir/StructureDefinition/rpm-patient')).toEqual([P.anna]);
    expect(await ids('Patient', '_profile=http://example.org/fhir')).toEqual([]);
    expect(await ids('Patient', '_profile:below=http://example.org/fhir')).toEqual([P.anna]);
    expect(await ids('Patient', '_profile:above=http://example.org/fhir/StructureDefinition/rpm-patient/v2')).toEqual([
      P.anna,
    ]);
    expect(await ids('Patient', '_source=urn:device:hub-1')).toEqual([P.anna]);
  });

  test('_id, one or several, and :missing on any parameter', async () => {
    expect(await ids('Patient', `_id=${P.anna}`)).toEqual([P.anna]);
    expect(await ids('Patient', `_id=${P.anna},${P.zoe},${uid()}`)).toEqual([P.anna, P.zoe].sort());
    const three = `_id=${P.anna},${P.bob},${P.zoe}`;
    expect(await ids('Patient', `${three}&birthdate:missing=true`)).toEqual([P.zoe]);
    expect(await ids('Patient', `${three}&email:missing=false`)).toEqual([P.anna]);
    expect(await ids('Patient', `${three}&name:missing=true`)).toEqual([]);
    expect(await ids('Patient', `${three}&_id:missing=false`)).toHaveLength(3);
  });
});

describe('deleted resources', () => {
  test('are never returned, by index, by _id or unfiltered', async () => {
    const [gone] = await writeResources(db, [tagged<Patient>({ resourceType: 'Patient', name: [{ family: 'Gone' }] })]);
    expect(await ids('Patient', 'name=gone')).toEqual([gone.id]);
    await deleteResource(db, 'Patient', gone.id);
    expect(await ids('Patient', 'name=gone')).toEqual([]);
    expect(await ids('Patient', `_id=${gone.id}`)).toEqual([]);
    expect(await ids('Patient', '_sort=_id')).not.toContain(gone.id);
  });

  test('even when stale index rows remain', async () => {
    const [stale] = await writeResources(
      db,
      [tagged<Patient>({ resourceType: 'Patient', name: [{ family: 'Stale' }] })],
      { deleted: true }
    );
    expect(await ids('Patient', 'name=stale')).toEqual([]);
    expect(stale.id).toBeDefined();
  });
});

/** Runs a search expected to fail with a 400 OperationOutcomeError; returns its diagnostics text. */
async function rejects400(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
  } catch (err) {
    expect(err).toBeInstanceOf(OperationOutcomeError);
    const outcome = (err as OperationOutcomeError).outcome;
    expect(outcome.issue?.[0]?.code).toBe('invalid');
    return outcome.issue?.[0]?.details?.text ?? '';
  }
  throw new Error('expected a 400');
}

describe('strict and lenient handling', () => {
  test('unknown parameters: strict 400 naming the parameter, lenient ignored and left out of the self link', async () => {
    expect(await rejects400(() => search(db, 'Patient', `${scope}&colour=blue`, STRICT))).toContain("'colour'");
    const lenient = await search(db, 'Patient', `${scope}&colour=blue&family=smith`, LENIENT);
    expect(matchIds(lenient)).toEqual([P.zoe]);
    expect(lenient.link?.[0].url).not.toContain('colour');
    expect(lenient.link?.[0].url).toContain('family=smith');
  });

  test('unsupported parameters and features', async () => {
    expect(await rejects400(() => search(db, 'Location', 'near=42|-71|10|km', STRICT))).toContain("'near'");
    expect((await search(db, 'Location', `${scope}&near=42|-71|10|km`, LENIENT)).total).toBe(0);
    const typed = { ...parseSearchQuery('Patient', {}), types: ['Patient', 'Observation'] } as SearchRequest;
    expect(await rejects400(() => executeSearch(NO_REPO, db, typed, STRICT))).toContain('_type');
    // _cursor (keyset paging) only where the next links give it: id order, no _offset, an id-shaped value.
    expect(await rejects400(() => search(db, 'Patient', `${scope}&_sort=family&_cursor=abc`, STRICT))).toContain(
      '_cursor pages only searches without _sort'
    );
    expect(await rejects400(() => search(db, 'Patient', `${scope}&_offset=5&_cursor=abc`, STRICT))).toContain(
      'cannot be combined'
    );
    expect(await rejects400(() => search(db, 'Patient', `${scope}&_cursor=a'b`, STRICT))).toContain('Invalid _cursor');
  });
});

describe('hostile input', () => {
  test('SQL injection strings are just values', async () => {
    const payloads = [
      "' OR '1'='1",
      "x'); DROP TABLE resource; --",
      '"; DELETE FROM search_token; --',
      '\\',
      "%' OR 1=1 --",
      '$1::text',
    ];
    for (const payload of payloads) {
      const v = encodeURIComponent(payload);
      for (const query of [
        `name=${v}`,
        `identifier=${v}`,
        `identifier=${v}|${v}`,
        `general-practitioner=${v}`,
        `_profile=${v}`,
        `_id=${v}`,
        `name:contains=${v}`,
        `_has:Observation:subject:code=${v}`,
      ]) {
        expect((await search(db, 'Patient', `${scope}&${query}`)).total, query).toBe(0);
      }
    }
    const { rows } = await db.query(
      "SELECT count(*)::int AS n FROM resource WHERE resource_type = 'Patient' AND content LIKE $1",
      [`%${TAG}%`]
    );
    expect(rows[0].n).toBeGreaterThanOrEqual(3);
  });

  test('bad prefixes, malformed values, unknown modifiers, absurd paging: 400, never 500', async () => {
    const cases: [string, string][] = [
      ['Observation', 'date=xx2024'],
      ['Observation', 'date=2024-02-30'],
      ['Observation', 'date=2024-03-05T25:00'],
      ['Observation', 'value-quantity=lots'],
      ['Observation', 'value-quantity=1e99999'],
      ['Observation', 'code:below=1'],
      ['Observation', 'code:bogus=1'],
      ['Observation', 'subject:bogus=1'],
      ['Observation', 'date:exact=2024'],
      ['Observation', 'component-code-value-quantity=1$2$3'],
      ['Patient', 'active=maybe'],
      ['Patient', '_count=-5'],
      ['Patient', '_offset=100000000'],
      ['Patient', `name=${'x'.repeat(3000)}`],
      ['Patient', '_sort=name;drop'],
      ['Patient', '_include=Patient'],
      ['Patient', '_has:Nope:x:y=1'],
    ];
    for (const [type, query] of cases) {
      await rejects400(() => search(db, type, `${scope}&${query}`));
    }
  });

  test('hand-made SearchRequests are validated as strictly as parsed ones', async () => {
    const bad: SearchRequest[] = [
      { resourceType: 'Observation', filters: [{ code: 'code', operator: Operator.GREATER_THAN, value: '1' }] },
      { resourceType: 'Observation', filters: [{ code: 'date', operator: Operator.EQUALS, value: 'yesterday' }] },
      { resourceType: 'Observation', count: Number.NaN },
      { resourceType: 'Observation', offset: -1 },
      { resourceType: 'Observation', total: 'all' as never },
      { resourceType: 'NotAType' as never },
    ];
    for (const request of bad) {
      await rejects400(() => executeSearch(NO_REPO, db, request, STRICT));
    }
  });
});

describe('requests from other parsers', () => {
  test("@medplum/core's parseSearchRequest output (prefix operators, modifiers) executes the same", async () => {
    const core = parseSearchRequest(`Observation?${scope}&date=ge2024-03-05&code:not=29463-7&_sort=-date`);
    expect(matchIds(await executeSearch(NO_REPO, db, core, STRICT))).toEqual([O.hr2, O.hr1]);
  });

  test('a composite filter in a SearchRequest built by hand', async () => {
    const request: SearchRequest = {
      resourceType: 'Observation',
      filters: [
        { code: '_tag', operator: Operator.EQUALS, value: `urn:test|${TAG}` },
        { code: 'component-code-value-quantity', operator: Operator.EQUALS, value: 'http://loinc.org|8480-6$gt140' },
      ],
    };
    expect(matchIds(await executeSearch(NO_REPO, db, request, STRICT))).toEqual([O.bp]);
  });
});
