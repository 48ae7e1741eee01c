// FHIR search over HTTP with a real FHIR client: one case per parameter type and result control an RPM client uses.
import { randomUUID } from 'node:crypto';
import type { Bundle, Observation, Patient, Practitioner } from '@medplum/fhirtypes';
import { beforeAll, describe, expect, test } from 'vitest';
import { useTestServer } from '../testing/testServer.ts';

const ctx = useTestServer();

const tag = randomUUID();
const family = `Zed${tag.slice(0, 8)}`;
let gp: Practitioner;
let grace: Patient;
let arthur: Patient;
const observations: Observation[] = [];

function vital(patient: Patient, code: string, value: number, unit: string, daysAgo: number): Observation {
  return {
    resourceType: 'Observation',
    status: 'final',
    meta: { tag: [{ system: 'http://rpm-platform.org/test-run', code: tag }] },
    category: [
      { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] },
    ],
    code: { coding: [{ system: 'http://loinc.org', code }] },
    subject: { reference: `Patient/${patient.id}` },
    effectiveDateTime: new Date(Date.UTC(2024, 5, 30) - daysAgo * 86_400_000).toISOString(),
    valueQuantity: { value, unit, system: 'http://unitsofmeasure.org', code: unit },
  };
}

function bp(patient: Patient, systolic: number, diastolic: number, daysAgo: number): Observation {
  const { valueQuantity: _v, ...base } = vital(patient, '85354-9', 0, 'mm[Hg]', daysAgo);
  const component = (code: string, value: number) => ({
    code: { coding: [{ system: 'http://loinc.org', code }] },
    valueQuantity: { value, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' },
  });
  return { ...base, component: [component('8480-6', systolic), component('8462-4', diastolic)] };
}

beforeAll(async () => {
  gp = await ctx.medplum.createResource<Practitioner>({
    resourceType: 'Practitioner',
    name: [{ family: `Gp${tag.slice(0, 8)}` }],
  });
  grace = await ctx.medplum.createResource<Patient>({
    resourceType: 'Patient',
    name: [{ family, given: ['Grace'] }],
    birthDate: '1948-03-12',
    gender: 'female',
    generalPractitioner: [{ reference: `Practitioner/${gp.id}` }],
  });
  arthur = await ctx.medplum.createResource<Patient>({
    resourceType: 'Patient',
    name: [{ family, given: ['Arthur'] }],
    birthDate: '1952-11-02',
  });
  for (const [i, value] of [62, 75, 88, 101, 120].entries()) {
    observations.push(await ctx.medplum.createResource(vital(grace, '8867-4', value, '/min', i)));
  }
  observations.push(await ctx.medplum.createResource(vital(arthur, '8867-4', 70, '/min', 0)));
  observations.push(await ctx.medplum.createResource(bp(grace, 150, 70, 0)));
  observations.push(await ctx.medplum.createResource(bp(arthur, 120, 150, 0)));
});

const ids = (resources: { id?: string }[]): string[] => resources.map((r) => r.id as string).sort();
const byTag = { _tag: `http://rpm-platform.org/test-run|${tag}` };

describe('parameter types', () => {
  test('string: starts-with, case-insensitive; :exact; :contains', async () => {
    expect(ids(await ctx.medplum.searchResources('Patient', { family: family.toLowerCase() }))).toEqual(
      ids([grace, arthur])
    );
    expect(await ctx.medplum.searchResources('Patient', { 'family:exact': family.toLowerCase() })).toHaveLength(0);
    expect(
      ids(await ctx.medplum.searchResources('Patient', { 'family:contains': family.slice(3), given: 'gra' }))
    ).toEqual([grace.id]);
  });

  test('token: system|code, :not', async () => {
    const hr = await ctx.medplum.searchResources('Observation', { ...byTag, code: 'http://loinc.org|8867-4' });
    expect(hr).toHaveLength(6);
    const notHr = await ctx.medplum.searchResources('Observation', { ...byTag, 'code:not': 'http://loinc.org|8867-4' });
    expect(notHr).toHaveLength(2);
  });

  test('reference, typed reference, chained and reverse chained (_has)', async () => {
    expect(await ctx.medplum.searchResources('Observation', { subject: `Patient/${grace.id}` })).toHaveLength(6);
    expect(await ctx.medplum.searchResources('Observation', { 'subject:Patient': grace.id as string })).toHaveLength(6);
    expect(
      await ctx.medplum.searchResources('Observation', { ...byTag, 'subject:Patient.name': 'Arthur' })
    ).toHaveLength(2);
    const withFastPulse = await ctx.medplum.searchResources('Patient', {
      family,
      '_has:Observation:subject:value-quantity': 'gt100',
    });
    expect(ids(withFastPulse)).toEqual([grace.id]);
  });

  test('date prefixes and partial dates', async () => {
    expect(await ctx.medplum.searchResources('Patient', { family, birthdate: '1948' })).toHaveLength(1);
    expect(await ctx.medplum.searchResources('Patient', { family, birthdate: 'lt1950-01' })).toHaveLength(1);
    expect(await ctx.medplum.searchResources('Patient', { family, birthdate: 'ge1948-03-12' })).toHaveLength(2);
    const lastThreeDays = await ctx.medplum.searchResources('Observation', {
      subject: `Patient/${grace.id}`,
      code: '8867-4',
      date: 'ge2024-06-28',
    });
    expect(lastThreeDays).toHaveLength(3);
  });

  test('quantity with prefixes and units; number-like comparisons are numeric', async () => {
    const fast = await ctx.medplum.searchResources('Observation', {
      ...byTag,
      'value-quantity': 'gt99|http://unitsofmeasure.org|/min',
    });
    expect(fast.map((o) => o.valueQuantity?.value).sort()).toEqual([101, 120]);
  });

  test('composite: code and value from the same blood-pressure component', async () => {
    const highSystolic = await ctx.medplum.searchResources('Observation', {
      ...byTag,
      'component-code-value-quantity': 'http://loinc.org|8480-6$gt140',
    });
    // Arthur's diastolic is 150 but his systolic is 120: he must not match.
    expect(highSystolic.map((o) => o.subject?.reference)).toEqual([`Patient/${grace.id}`]);
  });
});

describe('result controls', () => {
  test('_sort by date descending with _count paging and a next link', async () => {
    const page = await ctx.medplum.search('Observation', {
      subject: `Patient/${grace.id}`,
      code: '8867-4',
      _sort: '-date',
      _count: '2',
    });
    expect(page.entry?.map((e) => (e.resource as Observation).valueQuantity?.value)).toEqual([62, 75]);
    const next = page.link?.find((l) => l.relation === 'next')?.url as string;
    expect(next.startsWith(ctx.server.fhirBaseUrl)).toBe(true);
    const second = (await ctx.medplum.get(next)) as Bundle<Observation>;
    expect(second.entry?.map((e) => e.resource?.valueQuantity?.value)).toEqual([88, 101]);
  });

  test('a date range sorted by the same date, newest first and oldest first (one pass over the dates)', async () => {
    const newest = await ctx.medplum.searchResources('Observation', {
      subject: `Patient/${grace.id}`,
      code: '8867-4',
      date: 'ge2024-06-27',
      _sort: '-date',
    });
    expect(newest.map((o) => o.valueQuantity?.value)).toEqual([62, 75, 88, 101]);
    const oldest = await ctx.medplum.searchResources('Observation', {
      subject: `Patient/${grace.id}`,
      code: '8867-4',
      date: 'le2024-06-28',
      _sort: 'date',
    });
    expect(oldest.map((o) => o.valueQuantity?.value)).toEqual([120, 101, 88]);
  });

  test('_sort numbers as numbers', async () => {
    const sorted = await ctx.medplum.searchResources('Observation', {
      ...byTag,
      code: '8867-4',
      _sort: 'value-quantity',
    });
    expect(sorted.map((o) => o.valueQuantity?.value)).toEqual([62, 70, 75, 88, 101, 120]);
  });

  test('_total=accurate and _summary=count', async () => {
    const counted = await ctx.medplum.search('Observation', { ...byTag, _total: 'accurate', _count: '1' });
    expect(counted.total).toBe(8);
    const onlyCount = (await (
      await ctx.api(`Observation?_tag=http://rpm-platform.org/test-run|${tag}&_summary=count`)
    ).json()) as Bundle;
    expect(onlyCount.total).toBe(8);
    expect(onlyCount.entry ?? []).toHaveLength(0);
  });

  test('_elements returns subsetted resources', async () => {
    const slim = await ctx.medplum.searchResources('Patient', { family, _elements: 'birthDate' });
    expect(slim[0].name).toBeUndefined();
    expect(slim[0].birthDate).toBeDefined();
    expect(slim[0].meta?.tag?.some((t) => t.code === 'SUBSETTED')).toBe(true);
  });

  test('_include and _revinclude (with :iterate)', async () => {
    const withPatient = await ctx.medplum.search('Observation', {
      subject: `Patient/${arthur.id}`,
      _include: 'Observation:subject',
    });
    const modes = withPatient.entry?.map((e) => `${e.resource?.resourceType}:${e.search?.mode}`).sort();
    expect(modes).toEqual(['Observation:match', 'Observation:match', 'Patient:include']);
    const patientsWithObs = await ctx.medplum.search('Patient', {
      _id: grace.id as string,
      _revinclude: 'Observation:subject',
      '_include:iterate': 'Patient:general-practitioner',
    });
    const types: string[] = patientsWithObs.entry?.map((e) => e.resource?.resourceType as string) ?? [];
    expect(types.filter((t) => t === 'Observation')).toHaveLength(6);
    expect(types).toContain('Practitioner');
  });

  test('POST _search with a form body finds the same as GET', async () => {
    const res = await ctx.api('Patient/_search', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `family=${family}&given=arthur`,
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as Bundle).entry?.map((e) => e.resource?.id)).toEqual([arthur.id]);
  });
});
