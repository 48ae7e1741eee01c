// Patient-compartment acceleration gives exactly the results of the unscoped plan, and the key is derived correctly.
import type { WithId } from '@medplum/core';
import type { Observation, Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { getTypeCatalog } from './catalog.ts';
import { compartmentKey, patientIdOf } from './compartment.ts';
import { buildSearchIndexRows } from './indexRows.ts';
import { parseSearchQuery } from './parseQuery.ts';
import { planSearch } from './plan.ts';
import { BASE_URL, matchIds, search, STRICT, testPool, uid, writeResources } from './testUtils.ts';

const db = testPool();
afterAll(() => db.end());

const TAG = uid();
const scope = `_tag=urn:test|${TAG}`;
const patient = uid();
const other = uid();

const obs = (
  i: number,
  subject: string,
  code: string,
  date: string,
  value?: number,
  components?: [string, number][]
): Observation => ({
  resourceType: 'Observation',
  id: `${TAG}-${String(i).padStart(3, '0')}`,
  meta: { tag: [{ system: 'urn:test', code: TAG }] },
  status: i % 5 === 0 ? 'amended' : 'final',
  code: { coding: [{ system: 'http://loinc.org', code }] },
  subject: { reference: subject },
  effectiveDateTime: date,
  ...(value === undefined ? {} : { valueQuantity: { value, system: 'http://unitsofmeasure.org', code: '/min' } }),
  ...(components
    ? {
        component: components.map(([c, v]) => ({
          code: { coding: [{ system: 'http://loinc.org', code: c }] },
          valueQuantity: { value: v },
        })),
      }
    : {}),
});

beforeAll(async () => {
  const resources: Resource[] = [];
  for (let i = 0; i < 60; i++) {
    const day = String(1 + (i % 28)).padStart(2, '0');
    const subject =
      i % 7 === 0
        ? `${BASE_URL}/Patient/${patient}`
        : i % 11 === 0
          ? `Group/${patient}`
          : i % 3 === 0
            ? `Patient/${other}`
            : `Patient/${patient}`;
    if (i % 4 === 0) {
      resources.push(
        obs(i, subject, '85354-9', `2024-02-${day}T08:00:00Z`, undefined, [
          ['8480-6', 100 + i],
          ['8462-4', 60 + i],
        ])
      );
    } else {
      resources.push(obs(i, subject, i % 2 ? '8867-4' : '59408-5', `2024-02-${day}T08:00:00Z`, 50 + i));
    }
  }
  await writeResources(db, resources);
});

describe('compartment', () => {
  test('the key comes from the single Patient reference of the type’s compartment parameter', () => {
    expect(getTypeCatalog('Observation')?.compartmentParam).toBe('subject');
    expect(getTypeCatalog('Encounter')?.compartmentParam).toBe('subject');
    expect(getTypeCatalog('Condition')?.compartmentParam).toBe('subject');
    expect(getTypeCatalog('Patient')?.compartmentParam).toBeUndefined();
    expect(getTypeCatalog('Organization')?.compartmentParam).toBeUndefined();
    expect(patientIdOf('Patient/abc')).toBe('abc');
    expect(patientIdOf('http://x/fhir/Patient/abc')).toBe('abc');
    expect(patientIdOf('Group/abc')).toBeUndefined();
    const rows = buildSearchIndexRows(obs(1, 'Patient/p-1', '8867-4', '2024-01-01', 1) as WithId<Observation>);
    expect(rows.compartment).toBe(compartmentKey('p-1'));
    expect(
      buildSearchIndexRows(obs(2, 'Group/p-1', '8867-4', '2024-01-01', 1) as WithId<Observation>).compartment
    ).toBeNull();
    expect(compartmentKey('p-1')).toMatch(/^-?\d+$/);
  });

  test('only a single Patient value of the compartment parameter scopes a search', () => {
    const compartmentOf = (query: Record<string, string>) =>
      planSearch(parseSearchQuery('Observation', query), STRICT).compartment;
    const key = compartmentKey(patient);
    expect(compartmentOf({ subject: `Patient/${patient}` })).toBe(key);
    expect(compartmentOf({ patient })).toBe(key);
    expect(compartmentOf({ 'subject:Patient': patient })).toBe(key);
    expect(compartmentOf({ subject: `${BASE_URL}/Patient/${patient}` })).toBe(key);
    expect(compartmentOf({ subject: patient })).toBeUndefined(); // could be a Group, Device, ...
    expect(compartmentOf({ subject: `Patient/${patient},Patient/${other}` })).toBeUndefined();
    expect(compartmentOf({ 'subject:not': `Patient/${patient}` })).toBeUndefined();
    expect(compartmentOf({ performer: `Patient/${patient}` })).toBeUndefined();
  });

  test('scoped searches return exactly what the unscoped plan returns', async () => {
    const filters = [
      '',
      '&code=http://loinc.org|8867-4',
      '&code=8867-4,59408-5&date=ge2024-02-10',
      '&date=ge2024-02-10&date=lt2024-02-20&_sort=-date',
      '&status:not=final&_sort=date',
      '&code:text=x',
      '&value-quantity=gt80&_sort=-value-quantity',
      '&component-code-value-quantity=8480-6$gt120',
      '&combo-code-value-quantity=8480-6$gt120,8867-4$lt70',
      '&code-value-quantity=8867-4$gt60',
      '&_sort=-date,code&_count=7&_offset=3',
      '&component-code-value-quantity:missing=false&_sort=code',
    ];
    let nonEmpty = 0;
    for (const f of filters) {
      // Patient/X (scoped) vs the same references listed explicitly with an unrelated one (unscoped).
      const scoped = await search(db, 'Observation', `${scope}&subject=Patient/${patient}${f}`);
      const unscoped = await search(
        db,
        'Observation',
        `${scope}&subject=Patient/${patient},${BASE_URL}/Patient/${patient},Device/none${f}`
      );
      expect(matchIds(scoped), f).toEqual(matchIds(unscoped));
      expect(scoped.total, f).toBe(unscoped.total);
      nonEmpty += matchIds(scoped).length > 0 ? 1 : 0;
    }
    expect(nonEmpty).toBe(filters.length - 1); // only code:text=x matches nothing
    const all = matchIds(await search(db, 'Observation', `${scope}&subject=Patient/${patient}&_count=100`));
    expect(all.length).toBeGreaterThan(20);
    expect(all).not.toContain(`${TAG}-011`); // Group/<same id>
    expect(all).toContain(`${TAG}-007`); // absolute reference to this server
  });
});
