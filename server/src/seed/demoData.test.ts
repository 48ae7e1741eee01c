// The demo seed on a database of its own: the ward (Organization, PractitionerRole, CareTeams), two sign-in accounts
// with random passwords shown once, and nothing new on a restart; missing pieces are added back.
import type { CarePlan, CareTeam, Patient, PlanDefinition, PractitionerRole } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { findAccountByEmail } from '../accounts/accountStore.ts';
import { verifyLogin } from '../accounts/login.ts';
import { loadConfig } from '../config.ts';
import { createPool, type Db } from '../db/pool.ts';
import { PostgresRepository } from '../fhir/repository/postgresRepository.ts';
import { createTestDatabase, type TestDatabase } from '../testing/testDatabase.ts';
import { startTestServer } from '../testing/testServer.ts';
import { seedDemoData } from './demoData.ts';

let database: TestDatabase;
let pool: Db;

beforeAll(async () => {
  // Demo patients would disturb other test files' counts in the shared test database: this one gets its own.
  database = await createTestDatabase('rpm_seed_test');
  pool = createPool(database.url, 4);
});
afterAll(async () => {
  await pool?.end();
  await database?.drop();
});

async function current<T>(resourceType: string): Promise<T[]> {
  const { rows } = await pool.query('SELECT content FROM resource WHERE resource_type = $1 AND NOT deleted', [
    resourceType,
  ]);
  return rows.map((row) => JSON.parse(row.content) as T);
}

async function counts(): Promise<Record<string, number>> {
  const { rows } = await pool.query(
    'SELECT resource_type, count(*)::int AS n FROM resource WHERE NOT deleted GROUP BY resource_type'
  );
  const accounts = await pool.query('SELECT count(*)::int AS n FROM account');
  return { ...Object.fromEntries(rows.map((row) => [row.resource_type, row.n])), account: accounts.rows[0].n };
}

describe('seedDemoData', () => {
  test('first start: the ward, its care teams and two accounts whose passwords work', async () => {
    const server = await startTestServer({ DATABASE_URL: database.url, RPM_SEED_DEMO_DATA: 'true' });
    try {
      const demo = server.demo;
      expect(demo?.accounts.map((a) => [a.email, a.role])).toEqual([
        ['sam.bennett@example.org', 'clinician'],
        ['grace.okafor@example.org', 'patient'],
      ]);
      for (const account of demo?.accounts ?? []) {
        expect(demo?.summary).toContain(`${account.email} / ${account.password}`);
        expect((await verifyLogin(pool, account.email, account.password)).status).toBe('ok');
      }
    } finally {
      await server.close();
    }

    const [organization] = await current<{ id: string }>('Organization');
    const [practitioner] = await current<{ id: string }>('Practitioner');
    const orgRef = `Organization/${organization.id}`;
    const practitionerRef = `Practitioner/${practitioner.id}`;
    const roles = await current<PractitionerRole>('PractitionerRole');
    expect(roles).toHaveLength(1);
    expect(roles[0]).toMatchObject({
      practitioner: { reference: practitionerRef },
      organization: { reference: orgRef },
    });

    const patients = await current<Patient>('Patient');
    expect(patients).toHaveLength(3);
    for (const patient of patients) {
      expect(patient.managingOrganization?.reference).toBe(orgRef);
    }
    const teams = await current<CareTeam>('CareTeam');
    expect(teams.map((t) => t.subject?.reference).sort()).toEqual(patients.map((p) => `Patient/${p.id}`).sort());
    for (const team of teams) {
      expect(team.participant?.map((p) => p.member?.reference)).toEqual([practitionerRef]);
    }

    // Each patient is enrolled in the heart-failure programme, so the alert bots judge their readings.
    const carePlans = await current<CarePlan>('CarePlan');
    expect(carePlans.map((c) => c.subject?.reference).sort()).toEqual(patients.map((p) => `Patient/${p.id}`).sort());
    for (const carePlan of carePlans) {
      expect(carePlan).toMatchObject({
        status: 'active',
        instantiatesCanonical: ['http://rpm-platform.org/fhir/PlanDefinition/heart-failure'],
      });
    }
    expect((await current<PlanDefinition>('PlanDefinition')).map((d) => d.url)).toContain(
      'http://rpm-platform.org/fhir/PlanDefinition/heart-failure'
    );

    const clinician = await findAccountByEmail(pool, 'sam.bennett@example.org');
    expect(clinician?.fhirUser).toBe(practitionerRef);
    const grace = patients.find((p) => p.name?.[0]?.family === 'Okafor');
    expect((await findAccountByEmail(pool, 'grace.okafor@example.org'))?.fhirUser).toBe(`Patient/${grace?.id}`);
  });

  test('a restart creates nothing and shows no passwords', async () => {
    const before = await counts();
    const server = await startTestServer({ DATABASE_URL: database.url, RPM_SEED_DEMO_DATA: 'true' });
    try {
      expect(server.demo?.accounts).toEqual([]);
      expect(server.demo?.summary).toContain('passwords were shown when they were created');
    } finally {
      await server.close();
    }
    expect(await counts()).toEqual(before);
    expect(before).toMatchObject({
      Organization: 1,
      Practitioner: 1,
      PractitionerRole: 1,
      CareTeam: 3,
      Patient: 3,
      CarePlan: 3,
      PlanDefinition: 1,
    });
    expect(before.Observation).toBe(63);
  });

  test('missing pieces (an older seed) are added back; production seeds nothing', async () => {
    const before = await counts();
    await pool.query(`DELETE FROM resource WHERE resource_type IN ('CareTeam', 'PractitionerRole')`);
    await pool.query(`DELETE FROM account WHERE email = 'grace.okafor@example.org'`);
    const repo = new PostgresRepository(pool, { fhirBaseUrl: 'http://localhost/fhir/R4' });
    const demo = await seedDemoData(repo, loadConfig({}));
    expect(demo.accounts.map((a) => a.email)).toEqual(['grace.okafor@example.org']);
    expect(await counts()).toEqual(before);

    const production = loadConfig({
      NODE_ENV: 'production',
      DATABASE_URL: database.url,
      RPM_ADMIN_CLIENT_SECRET: 'a-production-secret-of-some-length',
    });
    await pool.query(`DELETE FROM account`);
    expect((await seedDemoData(repo, production)).accounts).toEqual([]);
    expect((await counts()).account).toBe(0);
  });
});
