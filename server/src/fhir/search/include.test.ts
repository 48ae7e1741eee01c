// _include and _revinclude: targets, target types, :iterate, canonical references, de-duplication and limits.
import type { Observation, Patient, Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BASE_URL, deleteResource, LENIENT, search, STRICT, testPool, uid, writeResources } from './testUtils.ts';

const db = testPool();
afterAll(() => db.end());

const TAG = uid();
const scope = `_tag=urn:test|${TAG}`;
const tagged = <T extends Resource>(r: T): T => ({
  ...r,
  meta: { ...r.meta, tag: [{ system: 'urn:test', code: TAG }] },
});

const org = uid();
const practitioner = uid();
const patient = uid();
const obs = [uid(), uid()];
const provenance = uid();
const questionnaireUrl = `http://example.org/Questionnaire/${TAG}`;
const questionnaire = uid();
const response = uid();

beforeAll(async () => {
  await writeResources(db, [
    { resourceType: 'Organization', id: org, name: 'Org' } as Resource,
    { resourceType: 'Practitioner', id: practitioner } as Resource,
    tagged<Patient>({
      resourceType: 'Patient',
      id: patient,
      managingOrganization: { reference: `Organization/${org}` },
    }),
    ...obs.map((id) =>
      tagged<Observation>({
        resourceType: 'Observation',
        id,
        status: 'final',
        code: { text: 'x' },
        subject: { reference: `Patient/${patient}` },
        performer: [{ reference: `Practitioner/${practitioner}` }, { reference: `Organization/${org}` }],
      })
    ),
    {
      resourceType: 'Provenance',
      id: provenance,
      target: [{ reference: `Observation/${obs[0]}` }],
      recorded: '2024-01-01T00:00:00Z',
      agent: [{ who: { reference: `Practitioner/${practitioner}` } }],
    } as Resource,
    tagged({ resourceType: 'Questionnaire', id: questionnaire, url: questionnaireUrl, status: 'active' } as Resource),
    tagged({
      resourceType: 'QuestionnaireResponse',
      id: response,
      status: 'completed',
      questionnaire: questionnaireUrl,
      subject: { reference: `Patient/${patient}` },
    } as Resource),
  ]);
});

function entries(bundle: Awaited<ReturnType<typeof search>>): string[] {
  return (bundle.entry ?? []).map((e) => `${e.search?.mode}:${e.resource?.resourceType}/${e.resource?.id}`).sort();
}

describe('_include', () => {
  test('includes referenced resources once, with fullUrl and mode include; total counts matches only', async () => {
    const bundle = await search(
      db,
      'Observation',
      `${scope}&_include=Observation:subject&_include=Observation:performer`
    );
    expect(bundle.total).toBe(2);
    expect(entries(bundle)).toEqual(
      [
        `match:Observation/${obs[0]}`,
        `match:Observation/${obs[1]}`,
        `include:Patient/${patient}`,
        `include:Practitioner/${practitioner}`,
        `include:Organization/${org}`,
      ].sort()
    );
    const included = bundle.entry?.find((e) => e.resource?.id === patient);
    expect(included?.fullUrl).toMatch(new RegExp(`/Patient/${patient}$`));
  });

  test('target type and alias parameters narrow the include', async () => {
    const bundle = await search(db, 'Observation', `${scope}&_include=Observation:performer:Organization`);
    expect(entries(bundle).filter((e) => e.startsWith('include'))).toEqual([`include:Organization/${org}`]);
    const viaAlias = await search(db, 'Observation', `${scope}&_include=Observation:patient`);
    expect(entries(viaAlias).filter((e) => e.startsWith('include'))).toEqual([`include:Patient/${patient}`]);
  });

  test(':iterate follows references of included resources', async () => {
    const plain = await search(
      db,
      'Observation',
      `${scope}&_include=Observation:subject&_include=Patient:organization`
    );
    expect(entries(plain).filter((e) => e.startsWith('include'))).toEqual([`include:Patient/${patient}`]);
    const iterated = await search(
      db,
      'Observation',
      `${scope}&_include=Observation:subject&_include:iterate=Patient:organization`
    );
    expect(entries(iterated).filter((e) => e.startsWith('include'))).toEqual(
      [`include:Organization/${org}`, `include:Patient/${patient}`].sort()
    );
  });

  test('absolute references to this server are included, and reverse-included, like relative ones', async () => {
    const [owner, absolute] = [uid(), uid()];
    const tag = uid();
    await writeResources(db, [
      { resourceType: 'Patient', id: owner, meta: { tag: [{ system: 'urn:test', code: tag }] } } as Patient,
      {
        resourceType: 'Observation',
        id: absolute,
        meta: { tag: [{ system: 'urn:test', code: tag }] },
        status: 'final',
        code: { text: 'abs' },
        subject: { reference: `${BASE_URL}/Patient/${owner}` },
      } as Observation,
    ]);
    const forward = await search(db, 'Observation', `_tag=urn:test|${tag}&_include=Observation:patient`);
    expect(entries(forward)).toEqual([`include:Patient/${owner}`, `match:Observation/${absolute}`]);
    const reverse = await search(db, 'Patient', `_tag=urn:test|${tag}&_revinclude=Observation:subject`);
    expect(entries(reverse)).toEqual([`include:Observation/${absolute}`, `match:Patient/${owner}`]);
  });

  test('canonical references resolve by url', async () => {
    const bundle = await search(db, 'QuestionnaireResponse', `${scope}&_include=QuestionnaireResponse:questionnaire`);
    expect(entries(bundle)).toEqual([
      `include:Questionnaire/${questionnaire}`,
      `match:QuestionnaireResponse/${response}`,
    ]);
  });
});

describe('_revinclude', () => {
  test('includes resources that refer to the matches, incl. :iterate', async () => {
    const bundle = await search(db, 'Patient', `${scope}&_revinclude=Observation:subject`);
    expect(entries(bundle)).toEqual(
      [`include:Observation/${obs[0]}`, `include:Observation/${obs[1]}`, `match:Patient/${patient}`].sort()
    );
    const iterated = await search(
      db,
      'Patient',
      `${scope}&_revinclude=Observation:subject&_revinclude:iterate=Provenance:target`
    );
    expect(entries(iterated)).toContain(`include:Provenance/${provenance}`);
    const notIterated = await search(
      db,
      'Patient',
      `${scope}&_revinclude=Observation:subject&_revinclude=Provenance:target`
    );
    expect(entries(notIterated)).not.toContain(`include:Provenance/${provenance}`);
  });

  test('canonical reverse includes, and deleted resources are never included', async () => {
    const bundle = await search(db, 'Questionnaire', `${scope}&_revinclude=QuestionnaireResponse:questionnaire`);
    expect(entries(bundle)).toEqual([
      `include:QuestionnaireResponse/${response}`,
      `match:Questionnaire/${questionnaire}`,
    ]);
    const gone = uid();
    await writeResources(db, [
      tagged<Observation>({
        resourceType: 'Observation',
        id: gone,
        status: 'final',
        code: {},
        subject: { reference: `Patient/${patient}` },
      }),
    ]);
    await deleteResource(db, 'Observation', gone);
    expect(entries(await search(db, 'Patient', `${scope}&_revinclude=Observation:subject`))).not.toContain(
      `include:Observation/${gone}`
    );
  });

  test('invalid targets: 400 when strict, ignored (and left out of the links) when lenient', async () => {
    await expect(search(db, 'Patient', `${scope}&_revinclude=Observation:code`, STRICT)).rejects.toThrow(
      /Observation:code/
    );
    await expect(search(db, 'Patient', `${scope}&_include=Nope:subject`, STRICT)).rejects.toThrow(/Nope/);
    const bundle = await search(
      db,
      'Patient',
      `${scope}&_revinclude=Observation:code&_revinclude=Observation:subject`,
      LENIENT
    );
    expect(entries(bundle)).toHaveLength(3);
    expect(bundle.link?.[0].url).not.toContain('Observation:code');
    expect(bundle.link?.[0].url).toContain('_revinclude=Observation:subject');
  });
});
