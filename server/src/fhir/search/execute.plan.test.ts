// Query plans at volume: the typical RPM query and conditional-create lookups use the indexes (no Seq Scan).
import type { Observation, Patient, Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Db } from '../../db/pool.ts';
import { createDatabaseBesideTestDatabase, type TestDatabase } from '../../testing/testDatabase.ts';
import { countMatches, pageQuery } from './execute.ts';
import { parseSearchQuery } from './parseQuery.ts';
import { planSearch } from './plan.ts';
import { matchIds, search, STRICT, testPool, uid, writeResources } from './testUtils.ts';

// A database of its own: the plans asserted here follow the statistics of this file's rows, which other files' rows
// in the shared test database would change from run to run (a CI run once saw a sequential scan that way).
let database: TestDatabase;
let db: Db;
beforeAll(async () => {
  database = await createDatabaseBesideTestDatabase('rpm_search_plan_test');
  db = testPool(database.url);
});
afterAll(async () => {
  await db?.end();
  await database?.drop();
});

const PATIENTS = 20;
const PER_PATIENT = 1000;
const RUN = uid();
const patients = Array.from({ length: PATIENTS }, () => uid());
const CODES = ['8867-4', '59408-5', '29463-7', '9279-1', '85354-9'];
const DAY = 86_400_000;
const now = Date.now();

function observation(patient: string, i: number): Observation {
  const code = CODES[i % CODES.length];
  const effective = new Date(now - ((i * 7919) % 200) * DAY - (i % 24) * 3_600_000).toISOString();
  return {
    resourceType: 'Observation',
    id: uid(),
    identifier: [{ system: `urn:obs:${RUN}`, value: `${patient}-${i}` }],
    status: 'final',
    category: [
      { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] },
    ],
    code: { coding: [{ system: 'http://loinc.org', code }] },
    subject: { reference: `Patient/${patient}` },
    effectiveDateTime: effective,
    ...(code === '85354-9'
      ? {
          component: [
            {
              code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] },
              valueQuantity: { value: 100 + (i % 60), system: 'http://unitsofmeasure.org', code: 'mm[Hg]' },
            },
            {
              code: { coding: [{ system: 'http://loinc.org', code: '8462-4' }] },
              valueQuantity: { value: 60 + (i % 40), system: 'http://unitsofmeasure.org', code: 'mm[Hg]' },
            },
          ],
        }
      : { valueQuantity: { value: 50 + (i % 50), system: 'http://unitsofmeasure.org', code: '/min' } }),
  };
}

beforeAll(async () => {
  const start = Date.now();
  // The observed patients, and enough others for identifier lookups to be worth an index.
  const others = Array.from({ length: 3000 }, () => uid());
  await writeResources(
    db,
    [...patients, ...others].map(
      (id, i) =>
        ({
          resourceType: 'Patient',
          id,
          identifier: [{ system: `urn:mrn:${RUN}`, value: `MRN-${i}` }],
          name: [{ family: `Volume${i}` }],
        }) as Patient
    )
  );
  for (const patient of patients) {
    await writeResources(db, Array.from({ length: PER_PATIENT }, (_, i) => observation(patient, i)) as Resource[]);
  }
  await db.query('ANALYZE resource, search_token, search_reference, search_date, search_quantity, search_string');
  console.log(`loaded ${PATIENTS * PER_PATIENT} Observations in ${Date.now() - start} ms`);
}, 120_000);

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  'Rows Removed by Filter'?: number;
  Plans?: PlanNode[];
}

function nodes(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(nodes)];
}

async function explain(
  text: string,
  values: unknown[]
): Promise<{ scans: string[]; indexes: string[]; ms: number; examined: number }> {
  const { rows } = await db.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${text}`, values);
  const root = rows[0]['QUERY PLAN'][0];
  const all = nodes(root.Plan as PlanNode);
  return {
    scans: all
      .filter((n) => n['Node Type'].includes('Scan') && n['Relation Name'])
      .map((n) => `${n['Node Type']} ${n['Relation Name']}`),
    indexes: all.map((n) => n['Index Name']).filter((n): n is string => !!n),
    ms: root['Execution Time'] + root['Planning Time'],
    // Index and table rows read, kept or filtered out: what the plan's cost grows with.
    examined: all
      .filter((n) => n['Relation Name'] || n['Index Name'])
      .reduce((sum, n) => sum + (n['Actual Rows'] + (n['Rows Removed by Filter'] ?? 0)) * n['Actual Loops'], 0),
  };
}

async function explainSearch(resourceType: string, query: Record<string, string>, count?: number) {
  const request = parseSearchQuery(resourceType, query);
  if (count !== undefined) {
    request.count = count;
  }
  const plan = planSearch(request, STRICT);
  const { text, values } = pageQuery(plan);
  return explain(text, values);
}

const since = new Date(now - 30 * DAY).toISOString();

describe('query plans at volume', () => {
  test('typical RPM query: patient, code, last 30 days, newest first — index ranges, no Seq Scan', async () => {
    const query = {
      subject: `Patient/${patients[3]}`,
      code: 'http://loinc.org|8867-4',
      date: `ge${since}`,
      _sort: '-date',
      _count: '50',
    };
    const plan = await explainSearch('Observation', query);
    console.log(`typical RPM query: ${plan.ms.toFixed(2)} ms`, plan.indexes);
    expect(plan.scans.filter((s) => s.startsWith('Seq Scan'))).toEqual([]);
    // Driven by the patient's range of the code index; dates from the compartment range or per-resource index,
    // whichever PostgreSQL's statistics favour.
    expect(plan.indexes).toContain('search_token_lookup_idx');
    expect(plan.indexes.some((i) => i.startsWith('search_date_'))).toBe(true);
    expect(plan.indexes).toContain('resource_pkey');
    expect(plan.ms).toBeLessThan(100);

    const bundle = await search(db, 'Observation', new URLSearchParams(query).toString());
    const expected = Array.from({ length: PER_PATIENT }, (_, i) => observation(patients[3], i)).filter(
      (o) => o.code.coding?.[0].code === '8867-4' && (o.effectiveDateTime as string) >= since
    );
    expect(bundle.total).toBe(expected.length);
    expect(matchIds(bundle)).toHaveLength(Math.min(50, expected.length));
    const dates = bundle.entry?.map((e) => (e.resource as Observation).effectiveDateTime as string) ?? [];
    expect(dates).toEqual([...dates].sort().reverse());
  });

  test('other patient-scoped shapes use the indexes', async () => {
    const queries: Record<string, string>[] = [
      { subject: `Patient/${patients[5]}`, _sort: '-date', _count: '10' },
      { patient: patients[5], code: '85354-9', _sort: '-date', _count: '1' },
      { subject: `Patient/${patients[5]}`, 'component-code-value-quantity': 'http://loinc.org|8480-6$gt150' },
      { subject: `Patient/${patients[5]}`, 'value-quantity': 'gt90', date: `ge${since}` },
    ];
    for (const query of queries) {
      const plan = await explainSearch('Observation', query);
      expect(
        plan.scans.filter((s) => s.startsWith('Seq Scan')),
        JSON.stringify(query)
      ).toEqual([]);
      expect(plan.ms, JSON.stringify(query)).toBeLessThan(100);
    }
  });

  test('conditional-create lookups: Patient?identifier= and Observation?identifier= (count 2)', async () => {
    // Other test files add Patients and Observations to the same database meanwhile: plan with current statistics.
    await db.query('ANALYZE resource, search_token');
    const patientPlan = await explainSearch('Patient', { identifier: `urn:mrn:${RUN}|MRN-7` }, 2);
    expect(patientPlan.scans.filter((s) => s.startsWith('Seq Scan'))).toEqual([]);
    // The test database holds only a few hundred Patients, where probing each one's rows can be as cheap as the
    // lookup index (PostgreSQL 18 sometimes prefers it): any search_token index is fine here; volume is the
    // Observation lookup's job below.
    expect(patientPlan.indexes.some((index) => index.startsWith('search_token_'))).toBe(true);
    const observationPlan = await explainSearch('Observation', { identifier: `urn:obs:${RUN}|${patients[2]}-17` }, 2);
    expect(observationPlan.scans.filter((s) => s.startsWith('Seq Scan'))).toEqual([]);
    expect(observationPlan.indexes).toContain('search_token_lookup_idx');
    console.log(
      `identifier lookups: Patient ${patientPlan.ms.toFixed(2)} ms, Observation ${observationPlan.ms.toFixed(2)} ms`
    );
    const found = await search(db, 'Observation', `identifier=urn:obs:${RUN}|${patients[2]}-17`);
    expect(found.total).toBe(1);
  });

  test('row estimates of a type’s parameter rows come from their combined statistics, not multiplied frequencies', async () => {
    // The search tables' resource_type, param (and token value) go together: most `identifier` rows here are the
    // Observations', and Patients have their own. Multiplying the separate frequencies halved (Patient, identifier)
    // here and underestimated (Observation, code) 20-fold on the bench (008_search_statistics.sql).
    await db.query('ANALYZE search_token');
    const { rows } = await db.query(
      `EXPLAIN (FORMAT JSON) SELECT resource_id FROM search_token WHERE resource_type = 'Patient' AND param = 'identifier'`
    );
    const estimated = rows[0]['QUERY PLAN'][0].Plan['Plan Rows'] as number;
    const actual = Number(
      (
        await db.query(
          `SELECT count(*) AS n FROM search_token WHERE resource_type = 'Patient' AND param = 'identifier'`
        )
      ).rows[0].n
    );
    console.log(`(Patient, identifier) rows: estimated ${estimated}, actual ${actual}`);
    expect(estimated).toBeGreaterThan(actual / 1.5);
    expect(estimated).toBeLessThan(actual * 1.5);
  });

  test('a count-only search uses the indexes too', async () => {
    const plan = planSearch(
      parseSearchQuery('Observation', { subject: `Patient/${patients[1]}`, code: '8867-4', _summary: 'count' }),
      STRICT
    );
    expect(await countMatches(db, plan)).toBe(PER_PATIENT / CODES.length);
  });
});

describe('readings stored after the last ANALYZE (statistics always lag a live system)', () => {
  // Readings newer than the statistics lie beyond the date histogram, so PostgreSQL estimates a recent range at about
  // one row, whatever the index. Alert bots search exactly there: the last hour of one patient, or of a batch of
  // patients with several codes. Without hidden date bounds and combined-column statistics these plans read every
  // patient's recent readings (search_date_high_idx) and every Observation code row.
  const LATER = 200;
  const base = now + 60_000;
  const later = (patient: string, i: number): Observation => ({
    ...observation(patient, i),
    id: uid(),
    identifier: [{ system: `urn:obs:${RUN}:later`, value: `${patient}-${i}` }],
    effectiveDateTime: new Date(base + i * 1_000).toISOString(),
  });
  const recent = `ge${new Date(base).toISOString()}`;

  beforeAll(async () => {
    await db.query('ANALYZE search_token, search_reference, search_date');
    for (const patient of patients) {
      await writeResources(db, Array.from({ length: LATER }, (_, i) => later(patient, i)) as Resource[]);
    }
  }, 120_000);

  test('one patient, one code, unsorted: that patient’s range only', async () => {
    const query = { subject: `Patient/${patients[6]}`, code: 'http://loinc.org|8867-4', date: recent };
    const plan = await explainSearch('Observation', query);
    console.log(`one patient's recent readings, unsorted: ${plan.examined} rows read`, plan.indexes);
    expect(plan.indexes).not.toContain('search_date_high_idx');
    expect(plan.examined).toBeLessThan(1_000);
  });

  test('one patient, one code, newest first: that patient’s range only', async () => {
    const query = { subject: `Patient/${patients[4]}`, code: 'http://loinc.org|8867-4', date: recent, _sort: '-date' };
    const plan = await explainSearch('Observation', query);
    console.log(`one patient's recent readings: ${plan.examined} rows read`, plan.indexes);
    expect(plan.indexes).not.toContain('search_date_high_idx');
    // The patient's 40 recent heart rates, their other recent rows and the probes: not 20 patients' 4,000 readings.
    expect(plan.examined).toBeLessThan(1_000);
    const bundle = await search(db, 'Observation', new URLSearchParams({ ...query, _count: '100' }).toString());
    expect(bundle.total).toBe(LATER / CODES.length);
  });

  test('several patients, several codes with systems (a batched NEWS2 read): their ranges only', async () => {
    const chosen = patients.slice(0, 5);
    const query = {
      subject: chosen.map((p) => `Patient/${p}`).join(','),
      code: ['8867-4', '9279-1', '59408-5'].map((c) => `http://loinc.org|${c}`).join(','),
      date: recent,
      _count: '1000',
    };
    const plan = await explainSearch('Observation', query);
    console.log(`five patients' recent readings of three codes: ${plan.examined} rows read`, plan.indexes);
    expect(plan.indexes).not.toContain('search_date_high_idx');
    // 5 patients × 120 matching recent readings, each probed a few times; every code row of the type is 24,000.
    expect(plan.examined).toBeLessThan(5_000);
    const bundle = await search(db, 'Observation', new URLSearchParams(query).toString());
    expect(bundle.total).toBe(chosen.length * ((LATER * 3) / CODES.length));
  });
});
