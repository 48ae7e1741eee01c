// insertSearchIndexRows / deleteSearchIndexRows on a real database: batches, re-indexing an update, deletion.
import type { WithId } from '@medplum/core';
import type { Observation, Patient } from '@medplum/fhirtypes';
import { afterAll, describe, expect, test } from 'vitest';
import { withDbTransaction } from '../../db/pool.ts';
import { buildSearchIndexRows } from './indexRows.ts';
import { matchIds, search, testPool, uid, writeResources } from './testUtils.ts';
import { TABLE_NAMES } from './types.ts';
import { deleteSearchIndexRows, insertSearchIndexRows } from './writeRows.ts';

const db = testPool();
afterAll(() => db.end());

async function rowCounts(resourceType: string, ids: string[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const [table, name] of Object.entries(TABLE_NAMES)) {
    const { rows } = await db.query(
      `SELECT count(*)::int AS n FROM ${name} WHERE resource_type = $1 AND resource_id = ANY($2::text[])`,
      [resourceType, ids]
    );
    counts[table] = rows[0].n;
  }
  return counts;
}

describe('writing index rows', () => {
  test('a batch of 100 resources is written with every table populated, and deleted again', async () => {
    const observations = Array.from({ length: 100 }, (_, i): WithId<Observation> => ({
      resourceType: 'Observation',
      id: uid(),
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
      subject: { reference: `Patient/${uid()}` },
      effectiveDateTime: '2024-01-01T00:00:00Z',
      valueQuantity: { value: i },
      valueString: undefined,
      note: [{ text: 'n' }],
      meta: { profile: ['http://example.org/p'] },
    }));
    const ids = observations.map((o) => o.id);
    await withDbTransaction(db, (client) => insertSearchIndexRows(client, observations.map(buildSearchIndexRows)));
    expect(await rowCounts('Observation', ids)).toEqual({
      token: 200,
      string: 0,
      reference: 100,
      date: 100,
      number: 0,
      quantity: 100,
      uri: 100,
    });
    await deleteSearchIndexRows(db, 'Observation', ids);
    expect(Object.values(await rowCounts('Observation', ids)).every((n) => n === 0)).toBe(true);
  });

  test('number and string rows, and empty input', async () => {
    const id = uid();
    await insertSearchIndexRows(db, [
      buildSearchIndexRows({
        resourceType: 'RiskAssessment',
        id,
        status: 'final',
        subject: { reference: 'Patient/x' },
        prediction: [{ probabilityDecimal: 0.5 }],
        basis: [],
      } as never),
    ]);
    expect((await rowCounts('RiskAssessment', [id])).number).toBe(1);
    await insertSearchIndexRows(db, []);
    await insertSearchIndexRows(db, [buildSearchIndexRows({ resourceType: 'Basic', id: uid() } as never)]);
    await deleteSearchIndexRows(db, 'RiskAssessment', []);
  });

  test('an update is re-indexed by deleting then inserting its rows', async () => {
    const tag = uid();
    const [patient] = await writeResources(db, [
      {
        resourceType: 'Patient',
        meta: { tag: [{ system: 'urn:test', code: tag }] },
        name: [{ family: 'Before' }],
      } as Patient,
    ]);
    const updated = { ...patient, name: [{ family: 'After' }] } as WithId<Patient>;
    await db.query('UPDATE resource SET content = $3 WHERE resource_type = $1 AND id = $2', [
      'Patient',
      patient.id,
      JSON.stringify(updated),
    ]);
    await withDbTransaction(db, async (client) => {
      await deleteSearchIndexRows(client, 'Patient', [patient.id]);
      await insertSearchIndexRows(client, [buildSearchIndexRows(updated)]);
    });
    expect(matchIds(await search(db, 'Patient', `_tag=urn:test|${tag}&name=after`))).toEqual([patient.id]);
    expect(matchIds(await search(db, 'Patient', `_tag=urn:test|${tag}&name=before`))).toEqual([]);
  });

  test('huge multi-byte values fit the btree limits (truncated alike when stored and searched)', async () => {
    const tag = uid();
    const long = 'é'.repeat(900) + uid(); // ≈1.8 kB of UTF-8, over the 1 kB index limit
    const [patient] = await writeResources(db, [
      {
        resourceType: 'Patient',
        meta: { tag: [{ system: 'urn:test', code: tag }], profile: [`http://example.org/${long}`] },
        identifier: [{ system: `urn:${long}`, value: long }],
        name: [{ family: long }],
        generalPractitioner: [{ reference: `Practitioner/${long}` }],
      } as Patient,
    ]);
    const found = async (query: string) => matchIds(await search(db, 'Patient', `_tag=urn:test|${tag}&${query}`));
    expect(await found(`identifier=${encodeURIComponent(long)}`)).toEqual([patient.id]);
    expect(await found(`identifier=${encodeURIComponent(`urn:${long}|${long}`)}`)).toEqual([patient.id]);
    expect(await found(`family=${encodeURIComponent(long.slice(0, 300))}`)).toEqual([patient.id]);
    expect(await found(`_profile=${encodeURIComponent(`http://example.org/${long}`)}`)).toEqual([patient.id]);
    // ≈9 kB values are written too (a search value of that size is refused, see execute.test.ts).
    const huge = '界'.repeat(3000);
    const [big] = await writeResources(db, [
      {
        resourceType: 'Patient',
        meta: { tag: [{ system: 'urn:test', code: tag }], source: huge },
        identifier: [{ system: huge, value: huge }],
        link: [{ other: { reference: `Patient/${huge}` }, type: 'seealso' }],
      } as Patient,
    ]);
    expect((await found('_sort=_id&_count=10')).sort()).toEqual([patient.id, big.id].sort());
  });

  test('values are parameters, never SQL', async () => {
    const id = uid();
    const hostile = "x'); DROP TABLE search_token; --";
    await insertSearchIndexRows(db, [
      buildSearchIndexRows({
        resourceType: 'Patient',
        id,
        name: [{ family: hostile }],
        identifier: [{ system: hostile, value: hostile }],
      } as WithId<Patient>),
    ]);
    const { rows } = await db.query(
      `SELECT system, value FROM search_token WHERE resource_type = 'Patient' AND resource_id = $1 AND param = 'identifier'`,
      [id]
    );
    expect(rows).toEqual([{ system: hostile, value: hostile }]);
  });
});
