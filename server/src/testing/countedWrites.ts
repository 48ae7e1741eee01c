// A repository on its own pool that counts the statements it sends, with write triggers on a job queue no worker runs.
import { randomUUID } from 'node:crypto';
import { createPool, type Db } from '../db/pool.ts';
import { PostgresRepository } from '../fhir/repository/postgresRepository.ts';
import { JobQueue } from '../jobs/jobQueue.ts';
import type { ChangeConsumer } from '../subscriptions/committedChange.ts';
import { attachWriteTriggers, WriteTriggers } from '../subscriptions/writeTriggers.ts';

export interface CountedWrites {
  pool: Db;
  repo: PostgresRepository;
  /** The job queue's schema: the jobs the writes queued stay in its `_private_jobs` to be counted. */
  schema: string;
  /** Statements sent through the pool so far. */
  statements(): number;
  /** Drops the queue's schema and closes the pool. */
  close(): Promise<void>;
}

/**
 * Creates it on the test database (RPM_TEST_DATABASE_URL); call in beforeAll, and close() in afterAll. `consumers`
 * queue jobs for writes without a Subscription (so a test need not change the Subscriptions other files rely on).
 */
export async function createCountedWrites(
  schemaPrefix: string,
  poolSize = 4,
  consumers: ChangeConsumer[] = []
): Promise<CountedWrites> {
  const pool = createPool(process.env.RPM_TEST_DATABASE_URL as string, poolSize);
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
    pool,
    repo: new PostgresRepository(pool, { fhirBaseUrl: 'http://localhost/fhir/R4' }),
    schema,
    statements: () => statements,
    close: async () => {
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await pool.end();
    },
  };
}
