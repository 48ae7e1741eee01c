// Query plans of restricted searches at volume: the reach query and reach-restricted searches use the indexes.
import type { Observation, Patient, Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Caller } from '../auth/authenticate.ts';
import type { Db, Queryable } from '../db/pool.ts';
import { countMatches, pageQuery } from '../fhir/search/execute.ts';
import { parseSearchQuery } from '../fhir/search/parseQuery.ts';
import { planSearch } from '../fhir/search/plan.ts';
import { BASE_URL, search, STRICT, testPool, uid, writeResources } from '../fhir/search/testUtils.ts';
import type { SearchContext } from '../fhir/search/types.ts';
import type { CallerAccess } from './callerAccess.ts';
import { mayRead } from './checkRead.ts';
import { launchReach, loadAccountReach } from './reach.ts';
import { createDatabaseBesideTestDatabase, type TestDatabase } from '../testing/testDatabase.ts';
import { restrictionFor } from './searchRestriction.ts';

// A database of its own: the plans asserted here follow the statistics of this file's rows, which other files' rows
// in the shared test database would change from run to run (a CI run once saw a sequential scan that way).
let database: TestDatabase;
let db: Db;
beforeAll(async () => {
  database = await createDatabaseBesideTestDatabase('rpm_reach_plan_test');
  db = testPool(database.url);
});
afterAll(async () => {
  await db?.end();
  await database?.drop();
});

const PER_ORG = 3000;
const HEAVY = 10;
const PER_HEAVY = 500;
const orgA = uid();
const orgB = uid();
const clinician = uid();
const patientsA = Array.from({ length: PER_ORG }, () => uid());
const patientsB = Array.from({ length: PER_ORG }, () => uid());
const DAY = 86_400_000;
const now = Date.now();

function observation(patient: string, i: number): Observation {
  return {
    resourceType: 'Observation',
    id: uid(),
    status: 'final',
    category: [
      { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] },
    ],
    code: { coding: [{ system: 'http://loinc.org', code: i % 2 ? '8867-4' : '59408-5' }] },
    subject: { reference: `Patient/${patient}` },
    effectiveDateTime: new Date(now - (i % 90) * DAY).toISOString(),
    valueQuantity: { value: 60 + (i % 40), system: 'http://unitsofmeasure.org', code: '/min' },
  };
}

beforeAll(async () => {
  const start = Date.now();
  const patient = (id: string, org: string): Patient => ({
    resourceType: 'Patient',
    id,
    name: [{ family: `Reach${id.slice(0, 6)}` }],
    managingOrganization: { reference: `Organization/${org}` },
  });
  await writeResources(db, [
    { resourceType: 'Organization', id: orgA },
    { resourceType: 'Organization', id: orgB },
    { resourceType: 'Practitioner', id: clinician },
    ...[orgA, orgB].map(
      (org) =>
        ({
          resourceType: 'PractitionerRole',
          practitioner: { reference: `Practitioner/${org === orgA ? clinician : uid()}` },
          organization: { reference: `Organization/${org}` },
        }) as Resource
    ),
    ...Array.from(
      { length: 40 },
      (_, i) =>
        ({
          resourceType: 'CareTeam',
          subject: { reference: `Patient/${patientsB[i]}` },
          participant: [{ member: { reference: `Practitioner/${i < 5 ? clinician : uid()}` } }],
        }) as Resource
    ),
  ]);
  await writeResources(db, [...patientsA.map((id) => patient(id, orgA)), ...patientsB.map((id) => patient(id, orgB))]);
  const everyone = [...patientsA, ...patientsB];
  for (let from = 0; from < everyone.length; from += 1000) {
    await writeResources(
      db,
      everyone.slice(from, from + 1000).flatMap((p) => [0, 1, 2].map((i) => observation(p, i)))
    );
  }
  for (const p of [...patientsA.slice(0, HEAVY / 2), ...patientsB.slice(0, HEAVY / 2)]) {
    await writeResources(
      db,
      Array.from({ length: PER_HEAVY }, (_, i) => observation(p, i))
    );
  }
  // Statistics from every row, not ANALYZE's random sample: the plans asserted below then do not depend on the luck
  // of the sample (one CI run in many saw a sample that made a sequential scan of search_token look cheaper).
  await db.query(
    'SET default_statistics_target = 10000; ANALYZE resource, search_token, search_reference, search_date, search_string; RESET default_statistics_target'
  );
  console.log(
    `loaded ${everyone.length} patients, ${everyone.length * 3 + HEAVY * PER_HEAVY} Observations in ${Date.now() - start} ms`
  );
}, 120_000);

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

const nodes = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(nodes)];

async function explain(
  text: string,
  values: unknown[]
): Promise<{ seqScans: string[]; indexes: string[]; ms: number }> {
  const { rows } = await db.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${text}`, values);
  const root = rows[0]['QUERY PLAN'][0];
  const all = nodes(root.Plan as PlanNode);
  if (process.env.PLAN_DEBUG) {
    console.log(`planning ${root['Planning Time']} execution ${root['Execution Time']}`);
    console.log(
      JSON.stringify(
        root.Plan,
        (k, v) =>
          [
            'Output',
            'Shared Hit Blocks',
            'Shared Read Blocks',
            'Shared Dirtied Blocks',
            'Shared Written Blocks',
            'Local Hit Blocks',
            'Local Read Blocks',
            'Local Dirtied Blocks',
            'Local Written Blocks',
            'Temp Read Blocks',
            'Temp Written Blocks',
            'Parallel Aware',
            'Async Capable',
            'Startup Cost',
            'Plan Width',
          ].includes(k)
            ? undefined
            : v,
        1
      ).slice(0, 6000)
    );
  }
  return {
    seqScans: all.filter((n) => n['Node Type'] === 'Seq Scan').map((n) => n['Relation Name'] ?? '?'),
    indexes: [...new Set(all.map((n) => n['Index Name']).filter((n): n is string => !!n))],
    ms: root['Execution Time'] + root['Planning Time'],
  };
}

/** Records the statements a function runs, to EXPLAIN them afterwards. */
function recording(target: Queryable): { db: Queryable; statements: { text: string; values: unknown[] }[] } {
  const statements: { text: string; values: unknown[] }[] = [];
  return {
    statements,
    db: {
      query: (text, values) => {
        statements.push(typeof text === 'string' ? { text, values: values ?? [] } : text);
        return target.query(text, values);
      },
    },
  };
}

const clinicianCaller: Caller = {
  clientId: 'plan-test',
  scopes: ['user/*.rs'],
  subject: 'account',
  expiresAt: 0,
  role: 'clinician',
  fhirUser: `Practitioner/${clinician}`,
};

async function accessOf(caller: Caller): Promise<CallerAccess> {
  const user = await loadAccountReach(db, caller, BASE_URL);
  return { caller, fhirBaseUrl: BASE_URL, reach: { user, patient: launchReach(caller, user) } };
}

function restricted(access: CallerAccess): SearchContext {
  return {
    ...STRICT,
    restriction: {
      conditionFor: (type, patient) => restrictionFor(access, type, 'search', patient),
      mayInclude: (r) => mayRead(access, r),
    },
  };
}

async function explainSearch(access: CallerAccess, resourceType: string, query: Record<string, string>) {
  const plan = planSearch(parseSearchQuery(resourceType, query), restricted(access));
  const { text, values } = pageQuery(plan);
  return explain(text, values);
}

describe('reach at volume', () => {
  test('the reach of a clinician (3000 organization patients, 5 CareTeams) is one indexed query', async () => {
    const { db: rec, statements } = recording(db);
    const started = performance.now();
    const reach = await loadAccountReach(rec, clinicianCaller, BASE_URL);
    const elapsed = performance.now() - started;
    expect(reach.patients.size).toBe(PER_ORG + 5);
    expect(statements).toHaveLength(1);
    const plan = await explain(statements[0].text, statements[0].values);
    console.log(`clinician reach: ${elapsed.toFixed(1)} ms wall, ${plan.ms.toFixed(2)} ms in PostgreSQL`, plan.indexes);
    expect(plan.seqScans).toEqual([]);
    expect(plan.indexes).toContain('search_reference_lookup_idx');
  });

  test('restricted searches of a clinician use the indexes (the restriction is a probe or drives)', async () => {
    const access = await accessOf(clinicianCaller);
    const since = new Date(now - 30 * DAY).toISOString();
    const queries: [string, Record<string, string>][] = [
      // The typical RPM query: driven by the patient's index ranges, the restriction probed per candidate.
      [
        'Observation',
        {
          subject: `Patient/${patientsA[0]}`,
          code: 'http://loinc.org|8867-4',
          date: `ge${since}`,
          _sort: '-date',
          _count: '50',
        },
      ],
      // A population query within the reach: driven by the code, the restriction probed per candidate.
      ['Observation', { code: 'http://loinc.org|8867-4', _count: '20', _total: 'none' }],
      ['Patient', { name: `Reach${patientsA[7].slice(0, 6)}` }],
      ['Patient', { _count: '20', _total: 'none' }],
    ];
    for (const [type, query] of queries) {
      const plan = await explainSearch(access, type, query);
      console.log(`clinician ${type}?${new URLSearchParams(query)}: ${plan.ms.toFixed(2)} ms`, plan.indexes);
      expect(plan.seqScans, JSON.stringify(query)).toEqual([]);
    }
    // Nothing to drive but the reach itself (3000 patients): every resource of the reach is read. On this volume
    // PostgreSQL rightly prefers one pass over search_reference to 12,000 index lookups. Its time is printed, not
    // asserted: timings belong to `npm run bench`, and a loaded machine would make such a bound flaky.
    const everything = await explainSearch(access, 'Observation', { _count: '20', _total: 'none' });
    console.log(
      `clinician Observation?_count=20: ${everything.ms.toFixed(2)} ms`,
      everything.seqScans,
      everything.indexes
    );

    const bundle = await search(db, 'Observation', `subject=Patient/${patientsB[0]}`, restricted(access));
    expect(bundle.total).toBe(PER_HEAVY + 3); // patientsB[0] is in one of the clinician's CareTeams
    const outside = await search(db, 'Observation', `subject=Patient/${patientsB[10]}`, restricted(access));
    expect(outside.total).toBe(0);
  });

  test('a patient: the restriction drives an unfiltered search; counts stay exact', async () => {
    const patient = patientsA[1];
    const access = await accessOf({
      ...clinicianCaller,
      role: 'patient',
      fhirUser: `Patient/${patient}`,
      scopes: ['patient/*.rs'],
    });
    const plan = await explainSearch(access, 'Observation', { _count: '20', _sort: '-date' });
    console.log(`patient Observation?_sort=-date: ${plan.ms.toFixed(2)} ms`, plan.indexes);
    expect(plan.seqScans).toEqual([]);
    expect(plan.indexes).toContain('search_reference_lookup_idx');
    const counted = planSearch(parseSearchQuery('Observation', { _summary: 'count' }), restricted(access));
    expect(await countMatches(db, counted)).toBe(PER_HEAVY + 3);
  });
});
