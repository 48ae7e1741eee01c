// Who reaches whom, through HTTP: patients, carers, clinicians (CareTeam, Organization), admins, launch context.
import { randomUUID } from 'node:crypto';
import type { Bundle } from '@medplum/fhirtypes';
import { beforeAll, describe, expect, test } from 'vitest';
import { useTestServer } from '../testing/testServer.ts';
import { asUser, careNetwork, createAll, refsIn } from './testWorld.ts';

const ctx = useTestServer();
const tag = randomUUID().slice(0, 8);
let id: Record<string, string>;

beforeAll(async () => {
  id = await createAll(ctx, careNetwork(tag));
});

const ref = (key: string, type: string): string => `${type}/${id[key]}`;

async function searchRefs(fetcher: Awaited<ReturnType<typeof asUser>>, query: string): Promise<string[]> {
  const res = await fetcher(query);
  expect(res.status).toBe(200);
  return refsIn((await res.json()) as Bundle);
}

describe('patient', () => {
  test('reads their own Patient and Observations; another patient and their data answer 404', async () => {
    const a1 = await asUser(ctx, { role: 'patient', fhirUser: ref('a1', 'Patient') }, 'user/*.rs');
    expect((await a1(`Patient/${id.a1}`)).status).toBe(200);
    expect((await a1(`Observation/${id.a1Vital}`)).status).toBe(200);
    expect((await a1(`Patient/${id.a2}`)).status).toBe(404);
    expect((await a1(`Observation/${id.a2Vital}`)).status).toBe(404);
    expect((await a1(`Patient/does-not-exist`)).status).toBe(404);
  });

  test('searches only their own compartment, with the total and paging of that compartment', async () => {
    const a1 = await asUser(ctx, { role: 'patient', fhirUser: ref('a1', 'Patient') }, 'patient/*.rs');
    const res = await a1('Observation?_count=1&_total=accurate');
    const bundle = (await res.json()) as Bundle;
    // a1Vital, a1Lab, and b1ByA1 (performed by a1: in a1's compartment too).
    expect(bundle.total).toBe(3);
    expect(bundle.entry).toHaveLength(1);
    expect(new Set(await searchRefs(a1, 'Observation?_count=50'))).toEqual(
      new Set([ref('a1Vital', 'Observation'), ref('a1Lab', 'Observation'), ref('b1ByA1', 'Observation')])
    );
    expect(await searchRefs(a1, `Patient?name=Adams-${tag}`)).toEqual([]);
    expect(await searchRefs(a1, `Patient?name=Alpha-${tag}`)).toEqual([ref('a1', 'Patient')]);
  });

  test("a scope that does not cover the type answers 403; directory types are readable; restricted ones are not; others' Subscriptions are hidden", async () => {
    const a1 = await asUser(ctx, { role: 'patient', fhirUser: ref('a1', 'Patient') }, 'patient/Observation.rs');
    expect((await a1(`Patient/${id.a1}`)).status).toBe(403);
    expect((await a1('Condition')).status).toBe(403);
    const wide = await asUser(ctx, { role: 'patient', fhirUser: ref('a1', 'Patient') }, 'user/*.rs');
    expect((await wide(`Questionnaire/${id.questionnaire}`)).status).toBe(200);
    expect((await wide(`Practitioner/${id.drB}`)).status).toBe(200);
    expect((await wide('Binary')).status).toBe(403);
    // Subscriptions are each user's own (ownedSubscriptions.test.ts): an administrator's is out of reach.
    expect((await wide(`Subscription/${id.subscription}`)).status).toBe(404);
    expect(await searchRefs(wide, 'Subscription')).toEqual([]);
  });

  test('a Device assigned to another patient is hidden; an unassigned one is visible', async () => {
    const a1 = await asUser(ctx, { role: 'patient', fhirUser: ref('a1', 'Patient') }, 'user/*.rs');
    expect((await a1(`Device/${id.device}`)).status).toBe(200);
    expect((await a1(`Device/${id.deviceB1}`)).status).toBe(404);
    const found = await searchRefs(a1, `Device?_id=${id.device},${id.deviceB1}`);
    expect(found).toEqual([ref('device', 'Device')]);
  });

  test('system scopes in a user token count for nothing', async () => {
    const a1 = await asUser(ctx, { role: 'patient', fhirUser: ref('a1', 'Patient') }, 'system/*.*');
    expect((await a1(`Patient/${id.a1}`)).status).toBe(403);
  });
});

describe('carer', () => {
  test("reaches the compartment of their RelatedPerson's patient, and the RelatedPerson itself", async () => {
    const carer = await asUser(ctx, { role: 'carer', fhirUser: ref('carer', 'RelatedPerson') }, 'user/*.rs');
    expect((await carer(`Patient/${id.a1}`)).status).toBe(200);
    expect((await carer(`RelatedPerson/${id.carer}`)).status).toBe(200);
    expect((await carer(`Condition/${id.a1Condition}`)).status).toBe(200);
    expect((await carer(`Patient/${id.a2}`)).status).toBe(404);
    expect(await searchRefs(carer, `Patient?_id=${id.a1},${id.a2},${id.b1}`)).toEqual([ref('a1', 'Patient')]);
  });
});

describe('clinician', () => {
  test('reaches the patients of their Organization, not those of another', async () => {
    const drA = await asUser(ctx, { role: 'clinician', fhirUser: ref('drA', 'Practitioner') }, 'user/*.rs');
    expect(new Set(await searchRefs(drA, `Patient?_id=${id.a1},${id.a2},${id.b1},${id.x}`))).toEqual(
      new Set([ref('a1', 'Patient'), ref('a2', 'Patient')])
    );
    expect((await drA(`Observation/${id.b1Vital}`)).status).toBe(404);
    expect((await drA(`Observation/${id.b1ByA1}`)).status).toBe(200); // a1 performed it: in a1's compartment
    const drB = await asUser(ctx, { role: 'clinician', fhirUser: ref('drB', 'Practitioner') }, 'user/*.rs');
    expect(await searchRefs(drB, `Patient?_id=${id.a1},${id.a2},${id.b1},${id.x}`)).toEqual([ref('b1', 'Patient')]);
  });

  test('reaches the subjects of their CareTeams, directly or through a PractitionerRole', async () => {
    const drTeam = await asUser(ctx, { role: 'clinician', fhirUser: ref('drTeam', 'Practitioner') }, 'user/*.rs');
    expect(await searchRefs(drTeam, `Patient?_id=${id.a1},${id.b1},${id.x}`)).toEqual([ref('x', 'Patient')]);
    expect((await drTeam(`CareTeam/${id.teamX}`)).status).toBe(200);
    const viaRole = await asUser(ctx, { role: 'clinician', fhirUser: ref('drViaRole', 'Practitioner') }, 'user/*.rs');
    expect(await searchRefs(viaRole, `Patient?_id=${id.a1},${id.b1},${id.x}`)).toEqual([ref('b1', 'Patient')]);
    expect(new Set(await searchRefs(viaRole, `Observation?subject=Patient/${id.b1}`))).toEqual(
      new Set(['b1Vital', 'b1ByA1', 'b1FocusA1', 'b1Identified'].map((k) => ref(k, 'Observation')))
    );
  });

  test('patient/ scopes with a launch patient reach only that patient; a launch patient out of reach reaches nothing', async () => {
    const launched = await asUser(
      ctx,
      { role: 'clinician', fhirUser: ref('drA', 'Practitioner'), patient: id.a2 },
      'patient/*.rs'
    );
    expect(await searchRefs(launched, `Patient?_id=${id.a1},${id.a2}`)).toEqual([ref('a2', 'Patient')]);
    expect((await launched(`Observation/${id.a1Vital}`)).status).toBe(404);
    const outside = await asUser(
      ctx,
      { role: 'clinician', fhirUser: ref('drA', 'Practitioner'), patient: id.b1 },
      'patient/*.rs'
    );
    expect((await outside(`Patient/${id.b1}`)).status).toBe(404);
  });

  test('a clinician without a Practitioner identity reaches no patient', async () => {
    const nobody = await asUser(ctx, { role: 'clinician', fhirUser: ref('a1', 'Patient') }, 'user/*.rs');
    expect(await searchRefs(nobody, `Patient?_id=${id.a1}`)).toEqual([]);
  });
});

describe('admin', () => {
  test("reaches the patients of their Organization and the restricted types; not another organization's", async () => {
    const admin = await asUser(ctx, { role: 'admin', fhirUser: ref('admin', 'Practitioner') }, 'user/*.rs');
    expect(new Set(await searchRefs(admin, `Patient?_id=${id.a1},${id.a2},${id.b1},${id.x}`))).toEqual(
      new Set([ref('a1', 'Patient'), ref('a2', 'Patient')])
    );
    expect((await admin(`Subscription/${id.subscription}`)).status).toBe(200);
    expect((await admin(`Encounter/${id.b1Encounter}`)).status).toBe(404);
  });
});
