// _summary and _elements: subsetted resources carry the SUBSETTED tag; the stored resource is untouched.
import type { Observation, Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { search, testPool, uid, writeResources } from './testUtils.ts';
import { SUBSETTED_TAG } from './subset.ts';

const db = testPool();
afterAll(() => db.end());

const TAG = uid();
const id = uid();
const scope = `_tag=urn:test|${TAG}`;

beforeAll(async () => {
  await writeResources(db, [
    {
      resourceType: 'Observation',
      id,
      meta: { tag: [{ system: 'urn:test', code: TAG }] },
      text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">HR 72</div>' },
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
      subject: { reference: 'Patient/x' },
      effectiveDateTime: '2024-03-05T10:00:00Z',
      valueQuantity: { value: 72 },
      note: [{ text: 'resting' }],
      interpretation: [{ text: 'normal' }],
    } as Observation,
  ]);
});

async function first(query: string): Promise<Record<string, unknown>> {
  const bundle = await search(db, 'Observation', `${scope}&${query}`);
  return bundle.entry?.[0]?.resource as unknown as Record<string, unknown>;
}

const keys = (r: Record<string, unknown>): string[] => Object.keys(r).sort();
const subsetted = (r: Record<string, unknown>): boolean =>
  ((r.meta as Resource['meta'])?.tag ?? []).some(
    (t) => t.code === SUBSETTED_TAG.code && t.system === SUBSETTED_TAG.system
  );

describe('subsetting', () => {
  test('_elements keeps the requested, mandatory and identifying elements (choice types by name)', async () => {
    const r = await first('_elements=value,subject');
    expect(keys(r)).toEqual(['code', 'id', 'meta', 'resourceType', 'status', 'subject', 'valueQuantity']);
    expect(subsetted(r)).toBe(true);
  });

  test('_summary=true keeps the summary elements', async () => {
    const r = await first('_summary=true');
    expect(keys(r)).toEqual([
      'code',
      'effectiveDateTime',
      'id',
      'meta',
      'resourceType',
      'status',
      'subject',
      'valueQuantity',
    ]);
    expect(subsetted(r)).toBe(true);
  });

  test('_summary=text keeps the narrative and mandatory elements; _summary=data drops the narrative', async () => {
    expect(keys(await first('_summary=text'))).toEqual(['code', 'id', 'meta', 'resourceType', 'status', 'text']);
    const data = await first('_summary=data');
    expect(data.text).toBeUndefined();
    expect(data.note).toBeDefined();
    expect(subsetted(data)).toBe(true);
  });

  test('without subsetting, the whole resource without the tag; _summary=false is no subsetting', async () => {
    for (const query of ['_count=1', '_summary=false']) {
      const r = await first(query);
      expect(r.text).toBeDefined();
      expect(r.note).toBeDefined();
      expect(subsetted(r)).toBe(false);
    }
  });

  test('the links keep _summary and _elements', async () => {
    const bundle = await search(db, 'Observation', `${scope}&_elements=code&_summary=data`);
    expect(bundle.link?.[0].url).toContain('_summary=data');
    expect(bundle.link?.[0].url).toContain('_elements=code');
  });
});
