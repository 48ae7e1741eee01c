// _sort: several keys, ascending and descending, numbers as numbers, dates as dates, stable tiebreak.
import type { Observation, Patient, Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { LENIENT, matchIds, search, STRICT, testPool, uid, writeResources } from './testUtils.ts';

const db = testPool();
afterAll(() => db.end());

const TAG = uid();
const scope = `_tag=urn:test|${TAG}`;
const tagged = <T extends Resource>(r: T): T => ({
  ...r,
  meta: { ...r.meta, tag: [{ system: 'urn:test', code: TAG }] },
});
const order = async (type: string, query: string): Promise<string[]> =>
  matchIds(await search(db, type, `${scope}&${query}&_count=100`));

// Ids chosen so that id order differs from every sort key.
const id = (n: string): string => `${n}-${TAG}`;
const values: [string, number, string, string][] = [
  // id, value, effective, family
  [id('c'), 9, '2024-01-03', 'Beta'],
  [id('a'), 100, '2024-01-01', 'alpha'],
  [id('d'), 20, '2024-01-02', 'Gamma'],
  [id('b'), 20, '2024-01-01T12:00:00Z', 'Älpha'],
];

beforeAll(async () => {
  await writeResources(
    db,
    values.map(([oid, value, effective]) =>
      tagged<Observation>({
        resourceType: 'Observation',
        id: oid,
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: String(value % 3) }] },
        effectiveDateTime: effective,
        valueQuantity: { value },
      })
    )
  );
  await writeResources(
    db,
    values.map(([pid, , birth, family]) =>
      tagged<Patient>({ resourceType: 'Patient', id: pid, name: [{ family }], birthDate: birth.slice(0, 10) })
    )
  );
  await writeResources(db, [tagged<Patient>({ resourceType: 'Patient', id: id('e') })]);
});

describe('_sort', () => {
  test('numbers sort numerically (9 < 20 < 100), ties broken by id', async () => {
    expect(await order('Observation', '_sort=value-quantity')).toEqual([id('c'), id('b'), id('d'), id('a')]);
    expect(await order('Observation', '_sort=-value-quantity')).toEqual([id('a'), id('b'), id('d'), id('c')]);
  });

  test('dates sort by instant: ascending by the start of each range, descending by its end', async () => {
    expect(await order('Observation', '_sort=date')).toEqual([id('a'), id('b'), id('d'), id('c')]);
    // 2024-01-01 (the whole day) ends after 2024-01-01T12:00:00Z.
    expect(await order('Observation', '_sort=-date')).toEqual([id('c'), id('d'), id('a'), id('b')]);
  });

  test('several keys', async () => {
    expect(await order('Observation', '_sort=value-quantity,-date')).toEqual([id('c'), id('d'), id('b'), id('a')]);
    expect(await order('Observation', '_sort=code,-value-quantity')).toEqual([id('c'), id('a'), id('b'), id('d')]);
  });

  test('strings sort case- and accent-insensitively; resources without a value come last', async () => {
    expect(await order('Patient', '_sort=family')).toEqual([id('a'), id('b'), id('c'), id('d'), id('e')]);
    expect(await order('Patient', '_sort=-family')).toEqual([id('d'), id('c'), id('a'), id('b'), id('e')]);
    expect(await order('Patient', '_sort=birthdate,-_id')).toEqual([id('b'), id('a'), id('d'), id('c'), id('e')]);
  });

  test('_id and _lastUpdated', async () => {
    expect(await order('Patient', '_sort=_id')).toEqual([id('a'), id('b'), id('c'), id('d'), id('e')]);
    expect(await order('Patient', '_sort=-_id')).toEqual([id('e'), id('d'), id('c'), id('b'), id('a')]);
    const [first, second] = await writeResources(db, [
      tagged<Patient>({ resourceType: 'Patient', id: id('late1'), meta: { lastUpdated: '2031-01-02T00:00:00Z' } }),
      tagged<Patient>({ resourceType: 'Patient', id: id('late0'), meta: { lastUpdated: '2031-01-01T00:00:00Z' } }),
    ]);
    expect((await order('Patient', '_sort=-_lastUpdated')).slice(0, 2)).toEqual([first.id, second.id]);
    expect(await order('Patient', `_sort=_lastUpdated&_lastUpdated=gt2030-01-01`)).toEqual([second.id, first.id]);
  });

  test('unknown sort parameters: 400 when strict, ignored when lenient', async () => {
    await expect(search(db, 'Patient', `${scope}&_sort=nope`, STRICT)).rejects.toThrow(/nope/);
    await expect(search(db, 'Observation', `${scope}&_sort=code-value-quantity`, STRICT)).rejects.toThrow(
      /code-value-quantity/
    );
    const bundle = await search(db, 'Patient', `${scope}&_sort=nope,-_id`, LENIENT);
    expect(matchIds(bundle)[0]).toBe(id('late1'));
    expect(bundle.link?.[0].url).toContain('_sort=-_id');
    expect(bundle.link?.[0].url).not.toContain('nope');
  });
});
