// A repository on its own pool that counts the statements it sends, with write triggers on a job queue no worker runs.
import { randomUUID } from 'node:crypto';
import { createPool, type Db } from '../db/pool.ts';
import { loadFhirDefinitions } from '../fhir/definitions.ts';
import { PostgresRepository } from '../fhir/repository/postgresRepository.ts';
import { JobQueue } from '../jobs/jobQueue.ts';
import { createDatabaseBesideTestDatabase } from './testDatabase.ts';
import type { ChangeConsumer } from '../subscriptions/committedChange.ts';
import { attachWriteTriggers, WriteTriggers } from '../subscriptions/writeTriggers.ts';

export interface CountedWrites {
  /** The database of its own (a server started on it stands for another instance). */
  databaseUrl: string;
  pool: Db;
  repo: PostgresRepository;
  /** The job queue's schema: the jobs the writes queued stay in its `_private_jobs` to be counted. */
  schema: string;
  /** Statements sent through the pool so far. */
  statements(): number;
  /** Closes the pool and drops the database. */
  close(): Promise<void>;
}

/**
 * Creates it on a migrated database of its own beside the test database; call in beforeAll, and close() in afterAll.
 * Its own, because in the shared test database another file writing a Subscription between two creates makes the
 * second one's guard fail, and the statement counts with it (a CI run saw 5 statements where 1 was expected).
 * `consumers` queue jobs for writes without a Subscription.
 */
export async function createCountedWrites(
  schemaPrefix: string,
  poolSize = 4,
  consumers: ChangeConsumer[] = []
): Promise<CountedWrites> {
  loadFhirDefinitions();
  const database = await createDatabaseBesideTestDatabase(`rpm_${schemaPrefix}_test`);
  const pool = createPool(database.url, poolSize);
  let statements = 0;
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    client.query = ((...args: unknown[]) => {
      statements++;
      return query(...args);
    }) as typeof client.query;
  });
  const schema = `${schemaPrefix}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const queue = new JobQueue({ pool, schema, concurrency: 1 });
  await queue.migrate();
  const triggers = new WriteTriggers({ queue, maxAttempts: 3 });
  triggers.setConsumers(consumers);
  attachWriteTriggers(pool, triggers);
  return {
    databaseUrl: database.url,
    pool,
    repo: new PostgresRepository(pool, { fhirBaseUrl: 'http://localhost/fhir/R4' }),
    schema,
    statements: () => statements,
    close: async () => {
      await pool.end();
      await database.drop();
    },
  };
}
