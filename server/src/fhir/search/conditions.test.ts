// Composite, chained and reverse-chained (_has) searches on a real database.
import type { Observation, Patient, Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { matchIds, search, testPool, uid, writeResources } from './testUtils.ts';

const db = testPool();
afterAll(() => db.end());

const TAG = uid();
const scope = `_tag=urn:test|${TAG}`;
const tagged = <T extends Resource>(r: T): T => ({
  ...r,
  meta: { ...r.meta, tag: [{ system: 'urn:test', code: TAG }] },
});
const ids = async (type: string, query: string): Promise<string[]> =>
  matchIds(await search(db, type, `${scope}&${query}&_count=100`)).sort();

const P = { high: uid(), low: uid(), split: uid() };
const O = { highBp: uid(), lowBp: uid(), splitBp: uid(), hr: uid(), glucose: uid() };
const org = uid();

const loinc = (code: string) => ({ coding: [{ system: 'http://loinc.org', code }] });
const mmHg = (value: number) => ({ value, system: 'http://unitsofmeasure.org', code: 'mm[Hg]' });

beforeAll(async () => {
  await writeResources(db, [
    tagged({ resourceType: 'Organization', id: org, name: 'Cardio Clinic' } as Resource),
    tagged<Patient>({
      resourceType: 'Patient',
      id: P.high,
      name: [{ family: 'Hightower' }],
      managingOrganization: { reference: `Organization/${org}` },
    }),
    tagged<Patient>({ resourceType: 'Patient', id: P.low, name: [{ family: 'Lowell' }], gender: 'female' }),
    tagged<Patient>({ resourceType: 'Patient', id: P.split, name: [{ family: 'Splitter' }] }),
  ]);
  const bp = (id: string, patient: string, systolic: number, diastolic: number): Observation =>
    tagged<Observation>({
      resourceType: 'Observation',
      id,
      status: 'final',
      code: loinc('85354-9'),
      subject: { reference: `Patient/${patient}` },
      effectiveDateTime: '2024-04-01T08:00:00Z',
      component: [
        { code: loinc('8480-6'), valueQuantity: mmHg(systolic) },
        { code: loinc('8462-4'), valueQuantity: mmHg(diastolic) },
      ],
    });
  await writeResources(db, [
    bp(O.highBp, P.high, 150, 95),
    bp(O.lowBp, P.low, 110, 70),
    // Systolic 120, diastolic 145: a systolic > 140 search must NOT match through the diastolic component.
    bp(O.splitBp, P.split, 120, 145),
    tagged<Observation>({
      resourceType: 'Observation',
      id: O.hr,
      status: 'final',
      code: loinc('8867-4'),
      subject: { reference: `Patient/${P.high}` },
      valueQuantity: { value: 150, system: 'http://unitsofmeasure.org', code: '/min' },
    }),
    tagged<Observation>({
      resourceType: 'Observation',
      id: O.glucose,
      status: 'final',
      code: loinc('2339-0'),
      subject: { reference: `Patient/${P.low}` },
      valueCodeableConcept: { coding: [{ system: 'http://snomed.info/sct', code: '281302008' }] },
      valueString: undefined,
    }),
  ]);
});

describe('composite', () => {
  test('component-code-value-quantity: code and value from the same component', async () => {
    expect(await ids('Observation', 'component-code-value-quantity=http://loinc.org|8480-6$gt140')).toEqual([O.highBp]);
    expect(await ids('Observation', 'component-code-value-quantity=http://loinc.org|8462-4$gt140')).toEqual([
      O.splitBp,
    ]);
    expect(await ids('Observation', 'component-code-value-quantity=8480-6$lt130')).toEqual([O.lowBp, O.splitBp].sort());
    expect(
      await ids(
        'Observation',
        'component-code-value-quantity=http://loinc.org|8480-6$150|http://unitsofmeasure.org|mm[Hg]'
      )
    ).toEqual([O.highBp]);
    expect(await ids('Observation', 'component-code-value-quantity=http://loinc.org|8480-6$150||/min')).toEqual([]);
  });

  test('OR of composite values, AND of repeated composite parameters', async () => {
    expect(await ids('Observation', 'component-code-value-quantity=8480-6$gt140,8462-4$lt75')).toEqual(
      [O.highBp, O.lowBp].sort()
    );
    expect(
      await ids('Observation', 'component-code-value-quantity=8480-6$gt140&component-code-value-quantity=8462-4$gt90')
    ).toEqual([O.highBp]);
    expect(
      await ids('Observation', 'component-code-value-quantity=8480-6$gt140&component-code-value-quantity=8462-4$lt90')
    ).toEqual([]);
  });

  test('combo-code-value-quantity covers the Observation value and its components, still paired', async () => {
    expect(await ids('Observation', 'combo-code-value-quantity=http://loinc.org|8867-4$ge150')).toEqual([O.hr]);
    expect(await ids('Observation', 'combo-code-value-quantity=http://loinc.org|8480-6$ge150')).toEqual([O.highBp]);
    expect(await ids('Observation', 'combo-code-value-quantity=http://loinc.org|85354-9$ge150')).toEqual([]);
    expect(await ids('Observation', 'combo-code=8480-6')).toEqual([O.highBp, O.lowBp, O.splitBp].sort());
  });

  test('code-value-quantity and code-value-concept on the resource itself', async () => {
    expect(await ids('Observation', 'code-value-quantity=http://loinc.org|8867-4$gt100')).toEqual([O.hr]);
    expect(await ids('Observation', 'code-value-quantity=http://loinc.org|8480-6$gt100')).toEqual([]);
    expect(await ids('Observation', 'code-value-concept=2339-0$http://snomed.info/sct|281302008')).toEqual([O.glucose]);
    expect(await ids('Observation', 'code-value-concept=2339-0$281302009')).toEqual([]);
  });

  test(':missing on a composite', async () => {
    expect(await ids('Observation', 'component-code-value-quantity:missing=false')).toEqual(
      [O.highBp, O.lowBp, O.splitBp].sort()
    );
    expect(await ids('Observation', 'component-code-value-quantity:missing=true')).toEqual([O.hr, O.glucose].sort());
  });
});

describe('chained', () => {
  test('one level, typed or not', async () => {
    expect(await ids('Observation', 'subject:Patient.name=hightower')).toEqual([O.highBp, O.hr].sort());
    expect(await ids('Observation', 'subject.name=lowell')).toEqual([O.lowBp, O.glucose].sort());
    expect(await ids('Observation', 'patient.gender=female')).toEqual([O.lowBp, O.glucose].sort());
    expect(await ids('Observation', 'subject:Patient.name:exact=Lowell')).toEqual([O.lowBp, O.glucose].sort());
    expect(await ids('Observation', 'subject:Patient.name:exact=lowell')).toEqual([]);
  });

  test('two levels, and combined with other filters', async () => {
    expect(await ids('Observation', 'subject:Patient.organization.name=cardio')).toEqual([O.highBp, O.hr].sort());
    expect(await ids('Observation', 'subject:Patient.organization.name=cardio&code=8867-4')).toEqual([O.hr]);
    expect(await ids('Observation', `subject:Patient.organization=Organization/${org}&code=85354-9`)).toEqual([
      O.highBp,
    ]);
  });

  test('invalid chains are 400s', async () => {
    await expect(search(db, 'Observation', 'subject:Patient.nope=1')).rejects.toThrow(/nope/);
    await expect(search(db, 'Observation', 'code.name=1')).rejects.toThrow(/not a reference/);
    await expect(search(db, 'Observation', 'subject:Medication.name=1')).rejects.toThrow(/not a target/);
    await expect(search(db, 'Observation', 'a.b.c.d.e=1')).rejects.toThrow();
  });
});

describe('_has (reverse chain)', () => {
  test('patients with an observation matching a criterion', async () => {
    expect(await ids('Patient', '_has:Observation:patient:component-code-value-quantity=8480-6$gt140')).toEqual([
      P.high,
    ]);
    expect(await ids('Patient', '_has:Observation:subject:code=8867-4')).toEqual([P.high]);
    expect(await ids('Patient', '_has:Observation:subject:code=85354-9')).toEqual([P.high, P.low, P.split].sort());
    expect(await ids('Patient', '_has:Observation:subject:code=85354-9&name=low')).toEqual([P.low]);
    expect(await ids('Patient', '_has:Observation:subject:code=0000-0')).toEqual([]);
  });

  test('nested _has and _has with chains', async () => {
    expect(await ids('Organization', '_has:Patient:organization:_has:Observation:subject:code=8867-4')).toEqual([org]);
    expect(await ids('Patient', '_has:Observation:subject:subject:Patient.name=splitter')).toEqual([P.split]);
  });
});
