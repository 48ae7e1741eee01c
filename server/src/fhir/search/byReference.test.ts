// searchByReference: one query for many referenced resources, honouring the request's filters, sort and count.
import type { Observation, Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { searchByReference } from './byReference.ts';
import { parseSearchQuery } from './parseQuery.ts';
import { deleteResource, testPool, uid, writeResources } from './testUtils.ts';

const db = testPool();

const byReferenceIds = (result: Record<string, Resource[]>): Record<string, string[]> =>
  Object.fromEntries(Object.entries(result).map(([ref, resources]) => [ref, resources.map((r) => r.id as string)]));
afterAll(() => db.end());

const TAG = uid();
const [a, b, c] = [uid(), uid(), uid()];
const obs = (id: string, patient: string, code: string, value: number): Observation => ({
  resourceType: 'Observation',
  id,
  meta: { tag: [{ system: 'urn:test', code: TAG }] },
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code }] },
  subject: { reference: `Patient/${patient}` },
  valueQuantity: { value },
});

beforeAll(async () => {
  await writeResources(db, [
    obs(`${TAG}-a1`, a, '8867-4', 70),
    obs(`${TAG}-a2`, a, '8867-4', 90),
    obs(`${TAG}-a3`, a, '8867-4', 80),
    obs(`${TAG}-a4`, a, '29463-7', 75),
    obs(`${TAG}-b1`, b, '8867-4', 60),
  ] as Resource[]);
});

describe('searchByReference', () => {
  test('groups matches by reference, applies filters, sort and count, and returns empty lists for the rest', async () => {
    const request = parseSearchQuery('Observation', {
      code: '8867-4',
      _sort: '-value-quantity',
      _count: '2',
      _tag: `urn:test|${TAG}`,
    });
    const result = await searchByReference(db, request, 'subject', [`Patient/${a}`, `Patient/${b}`, `Patient/${c}`]);
    expect(byReferenceIds(result)).toEqual({
      [`Patient/${a}`]: [`${TAG}-a2`, `${TAG}-a3`],
      [`Patient/${b}`]: [`${TAG}-b1`],
      [`Patient/${c}`]: [],
    });
  });

  test('works through alias parameters and skips deleted resources', async () => {
    await deleteResource(db, 'Observation', `${TAG}-a2`);
    const request = parseSearchQuery('Observation', { _sort: 'value-quantity', _tag: `urn:test|${TAG}` });
    const result = await searchByReference(db, request, 'patient', [`Patient/${a}`]);
    expect(byReferenceIds(result)).toEqual({ [`Patient/${a}`]: [`${TAG}-a1`, `${TAG}-a4`, `${TAG}-a3`] });
  });

  test('a non-reference field is a 400', async () => {
    await expect(searchByReference(db, parseSearchQuery('Observation', {}), 'code', ['x'])).rejects.toThrow(
      /not a reference/
    );
  });
});
