// Paging: _count/_offset/_cursor, totals (_total, _summary=count), and self/first/next/previous links that reproduce the search.
import type { Patient, Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BASE_URL, LENIENT, matchIds, search, STRICT, testPool, uid, writeResources } from './testUtils.ts';

const db = testPool();
afterAll(() => db.end());

const TAG = uid();
const scope = `_tag=urn:test|${TAG}`;
const tagged = <T extends Resource>(r: T): T => ({
  ...r,
  meta: { ...r.meta, tag: [{ system: 'urn:test', code: TAG }] },
});
const link = (bundle: { link?: { relation: string; url: string }[] }, relation: string): string | undefined =>
  bundle.link?.find((l) => l.relation === relation)?.url;

const ids = Array.from({ length: 25 }, (_, i) => `p${String(i).padStart(2, '0')}-${TAG}`);

beforeAll(async () => {
  await writeResources(
    db,
    ids.map((id, i) =>
      tagged<Patient>({
        resourceType: 'Patient',
        id,
        gender: i % 2 ? 'male' : 'female',
        name: [{ family: `Pager ${i}` }],
      })
    )
  );
});

/** Follows a link URL: the query string is parsed again, as a client would send it. */
async function follow(url: string) {
  const parsed = new URL(url);
  expect(`${parsed.origin}${parsed.pathname}`).toBe(`${BASE_URL}/Patient`);
  return search(db, 'Patient', parsed.search.slice(1), STRICT);
}

describe('paging', () => {
  test('default count is 20, with an accurate total and next/first links', async () => {
    const bundle = await search(db, 'Patient', `${scope}&_sort=_id`);
    expect(bundle.type).toBe('searchset');
    expect(bundle.total).toBe(25);
    expect(matchIds(bundle)).toEqual(ids.slice(0, 20));
    expect(link(bundle, 'self')).toBe(`${BASE_URL}/Patient?_tag=urn:test|${TAG}&_sort=_id&_count=20`);
    expect(link(bundle, 'first')).toBe(`${BASE_URL}/Patient?_tag=urn:test|${TAG}&_sort=_id&_count=20`);
    expect(link(bundle, 'next')).toBe(`${BASE_URL}/Patient?_tag=urn:test|${TAG}&_sort=_id&_count=20&_offset=20`);
    expect(link(bundle, 'previous')).toBeUndefined();
    expect(bundle.entry?.[0]).toMatchObject({ fullUrl: `${BASE_URL}/Patient/${ids[0]}`, search: { mode: 'match' } });
  });

  test('following next/previous pages through every result exactly once', async () => {
    let bundle = await search(db, 'Patient', `${scope}&_sort=-_id&_count=10&gender=male,female`);
    const seen: string[] = [...matchIds(bundle)];
    let next = link(bundle, 'next');
    while (next) {
      bundle = await follow(next);
      seen.push(...matchIds(bundle));
      next = link(bundle, 'next');
    }
    expect(seen).toEqual([...ids].reverse());
    expect(link(bundle, 'self')).toContain('_offset=20');
    const previous = await follow(link(bundle, 'previous') as string);
    expect(matchIds(previous)).toEqual([...ids].reverse().slice(10, 20));
  });

  test('without _sort, next links page by _cursor (keyset): every result once, in id order; the total only where asked', async () => {
    let bundle = await search(db, 'Patient', `${scope}&_count=10&gender=male,female`);
    expect(bundle.total).toBe(25);
    const seen: string[] = [...matchIds(bundle)];
    const selves: string[] = [];
    let next = link(bundle, 'next');
    expect(next).toBe(
      `${BASE_URL}/Patient?_tag=urn:test|${TAG}&gender=male,female&_count=10&_cursor=${encodeURIComponent(ids[9])}`
    );
    while (next) {
      bundle = await follow(next);
      selves.push(link(bundle, 'self') as string);
      // A page after a cursor is not counted unless asked (counting is a scan of every match, on every page).
      expect(bundle.total).toBeUndefined();
      expect(link(bundle, 'previous')).toBeUndefined();
      expect(link(bundle, 'first')).toBe(`${BASE_URL}/Patient?_tag=urn:test|${TAG}&gender=male,female&_count=10`);
      seen.push(...matchIds(bundle));
      next = link(bundle, 'next');
    }
    expect(seen).toEqual(ids);
    expect(selves).toEqual([ids[9], ids[19]].map((id) => expect.stringContaining(`_cursor=${id}`)));

    // Asked for, the total is of every match, not of those after the cursor; an exact last page has no next link.
    const counted = await search(db, 'Patient', `${scope}&_count=5&_total=accurate&_cursor=${ids[19]}`);
    expect(counted.total).toBe(25);
    expect(matchIds(counted)).toEqual(ids.slice(20));
    expect(link(counted, 'next')).toBeUndefined();
    const empty = await search(db, 'Patient', `${scope}&_count=5&_total=accurate&_cursor=${ids[24]}`);
    expect(empty.total).toBe(25);
    expect(empty.entry).toBeUndefined();
  });

  test('_count=0 and _summary=count give only the total', async () => {
    for (const query of [`${scope}&_count=0`, `${scope}&_summary=count`]) {
      const bundle = await search(db, 'Patient', query);
      expect(bundle.total).toBe(25);
      expect(bundle.entry).toBeUndefined();
      expect(link(bundle, 'next')).toBeUndefined();
    }
  });

  test('_total=none omits the total; an offset past the end still counts', async () => {
    const none = await search(db, 'Patient', `${scope}&_total=none&_count=5&_sort=_id`);
    expect(none.total).toBeUndefined();
    expect(link(none, 'next')).toContain('_offset=5');
    expect(link(none, 'self')).toContain('_total=none');
    const past = await search(db, 'Patient', `${scope}&_offset=40`);
    expect(past.total).toBe(25);
    expect(past.entry).toBeUndefined();
    expect(link(past, 'next')).toBeUndefined();
    expect((await search(db, 'Patient', `${scope}&_total=estimate&_count=1`)).total).toBe(25);
  });

  test('_count above 1000 is capped; links keep modifiers, prefixes and escaped commas', async () => {
    const capped = await search(db, 'Patient', `${scope}&_count=5000`);
    expect(link(capped, 'self')).toContain('_count=1000');
    const bundle = await search(
      db,
      'Patient',
      `${scope}&name:contains=pager&birthdate=ge1900&family=a\\,b,pager&_count=3`
    );
    const self = link(bundle, 'self') as string;
    expect(self).toContain('name:contains=pager');
    expect(self).toContain('birthdate=ge1900');
    expect(self).toContain('family=a%5C,b,pager');
    expect((await follow(self)).total).toBe(bundle.total);
  });

  test('lenient mode leaves unknown parameters out of the links; strict mode rejects them', async () => {
    const bundle = await search(db, 'Patient', `${scope}&unknown-param=1&_count=2`, LENIENT);
    expect(bundle.total).toBe(25);
    expect(link(bundle, 'self')).not.toContain('unknown');
    await expect(search(db, 'Patient', `${scope}&unknown-param=1`, STRICT)).rejects.toThrow(/unknown-param/);
  });
});
