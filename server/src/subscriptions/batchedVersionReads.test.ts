// Version reads asked for in one turn of the event loop are one query on the real database; later turns get their own.
import type { Observation, Patient } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createPool, type Db, type Queryable } from '../db/pool.ts';
import { loadFhirDefinitions } from '../fhir/definitions.ts';
import { PostgresRepository } from '../fhir/repository/postgresRepository.ts';
import { BatchedVersionReads } from './batchedVersionReads.ts';
import type { ResourceChange } from './loadVersions.ts';

let pool: Db;
let repo: PostgresRepository;

beforeAll(() => {
  loadFhirDefinitions();
  pool = createPool(process.env.RPM_TEST_DATABASE_URL as string, 2);
  repo = new PostgresRepository(pool, { fhirBaseUrl: 'http://localhost/fhir/R4' });
});

afterAll(async () => {
  await pool?.end();
});

/** The real pool, with the statements it is sent counted. */
function counted(): { db: Queryable; statements: () => number } {
  let n = 0;
  return {
    db: { query: (text, values) => (n++, pool.query(text, values)) },
    statements: () => n,
  };
}

const changeOf = (r: { resourceType: string; id?: string; meta?: { versionId?: string } }): ResourceChange => [
  r.resourceType,
  r.id as string,
  r.meta?.versionId as string,
  'create',
];

describe('BatchedVersionReads', () => {
  test('reads asked for in the same turn are one query, each answered with its own version', async () => {
    const patient = await repo.createResource<Patient>({ resourceType: 'Patient', name: [{ family: 'Batch' }] });
    const first = await repo.createResource<Observation>({
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'first' },
      subject: { reference: `Patient/${patient.id}` },
    });
    const second = await repo.updateResource<Observation>({ ...first, status: 'amended' });
    const { db, statements } = counted();
    const reads = new BatchedVersionReads(db);
    const answers = await Promise.all([
      reads.read(changeOf(first)),
      reads.read(changeOf(second)),
      reads.read(changeOf(patient)),
      reads.read(['Observation', first.id, 'no-such-version', 'update']),
    ]);
    expect(statements()).toBe(1);
    expect(answers.map((r) => (r as Observation | undefined)?.status)).toEqual([
      'final',
      'amended',
      undefined,
      undefined,
    ]);
    expect(answers[2]).toMatchObject({ resourceType: 'Patient', id: patient.id });
    expect(answers[3]).toBeUndefined();
    // A later turn is a query of its own.
    expect(await reads.read(changeOf(first))).toMatchObject({ id: first.id, status: 'final' });
    expect(statements()).toBe(2);
  });

  test('a failed query rejects every read of its turn, and the next turn reads again', async () => {
    const patient = await repo.createResource<Patient>({ resourceType: 'Patient' });
    let fail = true;
    const reads = new BatchedVersionReads({
      query: (text, values) => (fail ? Promise.reject(new Error('connection lost')) : pool.query(text, values)),
    });
    const failed = await Promise.allSettled([reads.read(changeOf(patient)), reads.read(changeOf(patient))]);
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect(await reads.read(changeOf(patient))).toMatchObject({ id: patient.id });
  });
});
