// Searches through HTTP reveal nothing out of reach: includes, :iterate, chains, _has, history, GraphQL, granular scopes.
import { randomUUID } from 'node:crypto';
import type { Bundle } from '@medplum/fhirtypes';
import { beforeAll, describe, expect, test } from 'vitest';
import { useTestServer } from '../testing/testServer.ts';
import { asUser, careNetwork, createAll, refsIn, VITAL_SIGNS } from './testWorld.ts';

const ctx = useTestServer();
const tag = randomUUID().slice(0, 8);
let id: Record<string, string>;

beforeAll(async () => {
  id = await createAll(ctx, careNetwork(tag));
});

const ref = (key: string, type: string): string => `${type}/${id[key]}`;
type Fetcher = Awaited<ReturnType<typeof asUser>>;

async function bundleOf(fetcher: Fetcher, path: string): Promise<Bundle> {
  const res = await fetcher(path);
  expect(res.status).toBe(200);
  return (await res.json()) as Bundle;
}

const patientA1 = (scope = 'user/*.rs'): Promise<Fetcher> =>
  asUser(ctx, { role: 'patient', fhirUser: ref('a1', 'Patient') }, scope);

describe('_include and _revinclude', () => {
  test('include only what the caller reaches: not the subject of an Observation a1 merely performed', async () => {
    const a1 = await patientA1();
    const bundle = await bundleOf(
      a1,
      `Observation?_id=${id.b1ByA1}&_include=Observation:subject&_include=Observation:performer`
    );
    expect(new Set(refsIn(bundle))).toEqual(new Set([ref('b1ByA1', 'Observation'), ref('a1', 'Patient')]));
  });

  test(':iterate does not continue from a resource out of reach', async () => {
    const a1 = await patientA1();
    const bundle = await bundleOf(
      a1,
      `Observation?_id=${id.b1ByA1}&_include=Observation:subject&_revinclude:iterate=Observation:subject&_revinclude:iterate=Encounter:subject`
    );
    expect(refsIn(bundle)).toEqual([ref('b1ByA1', 'Observation')]);
  });

  test('_revinclude returns only the referring resources in reach', async () => {
    const drB = await asUser(ctx, { role: 'clinician', fhirUser: ref('drB', 'Practitioner') }, 'user/*.rs');
    const bundle = await bundleOf(
      drB,
      `Patient?_id=${id.b1}&_revinclude=Observation:focus&_revinclude=Observation:subject`
    );
    expect(refsIn(bundle)).toContain(ref('b1FocusA1', 'Observation'));
    const a1 = await patientA1();
    const own = await bundleOf(a1, `Patient?_id=${id.a1}&_revinclude=Observation:focus`);
    expect(refsIn(own)).toEqual([ref('a1', 'Patient')]); // b1FocusA1 points to a1 but is b1's
  });
});

describe('chained and _has parameters', () => {
  test("a chain does not test a resource out of reach (b1's name through an Observation a1 performed)", async () => {
    const a1 = await patientA1();
    const chained = await bundleOf(a1, `Observation?_id=${id.b1ByA1}&subject:Patient.name=Brown-${tag}`);
    expect(chained.total).toBe(0);
    const own = await bundleOf(a1, `Observation?performer:Patient.name=Alpha-${tag}`);
    expect(refsIn(own)).toEqual([ref('b1ByA1', 'Observation')]);
  });

  test('_has does not test resources out of reach', async () => {
    const a1 = await patientA1();
    const has = await bundleOf(a1, `Patient?_id=${id.a1}&_has:Observation:focus:category=laboratory`);
    expect(has.total).toBe(0);
    const drB = await asUser(ctx, { role: 'clinician', fhirUser: ref('drB', 'Practitioner') }, 'user/*.rs');
    // b1's focus Observation is drB's to see, but a1 is not: nothing.
    const hasB = await bundleOf(drB, `Patient?_has:Observation:focus:category=laboratory&_id=${id.a1}`);
    expect(hasB.total).toBe(0);
  });
});

describe('history', () => {
  test('type and system history list only resources in reach; instance history and vread out of reach are 404', async () => {
    const a1 = await patientA1();
    const typeHistory = await bundleOf(a1, 'Observation/_history?_count=1000');
    const observed = new Set(refsIn(typeHistory));
    expect(observed).toEqual(
      new Set([ref('a1Vital', 'Observation'), ref('a1Lab', 'Observation'), ref('b1ByA1', 'Observation')])
    );
    const system = await bundleOf(a1, '_history?_count=1000');
    for (const r of refsIn(system)) {
      expect(
        r.startsWith('Observation/') ||
          r.startsWith('Patient/') ||
          r.startsWith('Condition/') ||
          r.startsWith('RelatedPerson/')
          ? [
              ref('a1Vital', 'Observation'),
              ref('a1Lab', 'Observation'),
              ref('b1ByA1', 'Observation'),
              ref('a1', 'Patient'),
              ref('a1Condition', 'Condition'),
              ref('carer', 'RelatedPerson'),
            ].includes(r)
          : true
      ).toBe(true);
    }
    expect(refsIn(system)).toContain(ref('a1Condition', 'Condition'));
    expect((await a1(`Observation/${id.a2Vital}/_history`)).status).toBe(404);
    const version = ((await (await ctx.api(`Observation/${id.a2Vital}`)).json()) as { meta: { versionId: string } })
      .meta.versionId;
    expect((await a1(`Observation/${id.a2Vital}/_history/${version}`)).status).toBe(404);
    expect((await a1(`Observation/${id.a1Vital}/_history`)).status).toBe(200);
  });
});

describe('GraphQL', () => {
  async function graphql(
    fetcher: Fetcher,
    query: string
  ): Promise<{ data?: Record<string, unknown>; errors?: unknown[] }> {
    const res = await fetcher('$graphql', { method: 'POST', body: JSON.stringify({ query }) });
    return (await res.json()) as { data?: Record<string, unknown> };
  }

  test('lists, reads by id, references and reverse references are limited to the reach', async () => {
    const a1 = await patientA1();
    const list = await graphql(a1, `{ PatientList(_id: "${id.a1},${id.a2},${id.b1}") { id } }`);
    expect(list.data?.PatientList).toEqual([{ id: id.a1 }]);
    const other = await graphql(a1, `{ Patient(id: "${id.b1}") { id } }`);
    expect(other.data?.Patient ?? null).toBeNull();
    const nested = await graphql(
      a1,
      `{ Observation(id: "${id.b1ByA1}") { id subject { reference resource { ... on Patient { id } } } } }`
    );
    expect(JSON.stringify(nested.data)).not.toContain(`"id":"${id.b1}"`);
    const reverse = await graphql(a1, `{ Patient(id: "${id.a1}") { id ObservationList(_reference: subject) { id } } }`);
    const ids = ((reverse.data?.Patient as { ObservationList: { id: string }[] }).ObservationList ?? []).map(
      (o) => o.id
    );
    expect(new Set(ids)).toEqual(new Set([id.a1Vital, id.a1Lab]));
    const focused = await graphql(a1, `{ Patient(id: "${id.a1}") { ObservationList(_reference: focus) { id } } }`);
    expect((focused.data?.Patient as { ObservationList?: unknown[] }).ObservationList ?? []).toEqual([]);
  });
});

describe('granular scopes', () => {
  test('patient/Observation.rs?category=…|vital-signs: searches and reads only vital signs', async () => {
    for (const scope of [
      `patient/Observation.rs?category=${VITAL_SIGNS}`,
      'patient/Observation.rs?category=vital-signs',
    ]) {
      const a1 = await patientA1(scope);
      const bundle = await bundleOf(a1, 'Observation?_total=accurate');
      expect(new Set(refsIn(bundle))).toEqual(new Set([ref('a1Vital', 'Observation'), ref('b1ByA1', 'Observation')]));
      expect(bundle.total).toBe(2);
      expect((await a1(`Observation/${id.a1Lab}`)).status).toBe(404);
      expect((await a1(`Observation/${id.a1Vital}`)).status).toBe(200);
    }
  });

  test('a granular scope and a full one: the union', async () => {
    const a1 = await patientA1(`patient/Observation.rs?category=${VITAL_SIGNS} patient/Condition.rs`);
    expect((await a1(`Condition/${id.a1Condition}`)).status).toBe(200);
    expect((await a1(`Observation/${id.a1Lab}`)).status).toBe(404);
  });
});
