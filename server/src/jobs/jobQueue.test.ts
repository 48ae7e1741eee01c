// The job queue with more jobs in flight than pool connections starts quietly, and runs a job added afterwards.
import { randomUUID } from 'node:crypto';
import { afterAll, expect, test, vi } from 'vitest';
import { createPool } from '../db/pool.ts';
import { JobQueue } from './jobQueue.ts';

const pool = createPool(process.env.RPM_TEST_DATABASE_URL as string, 4);
const schema = `jobs_quiet_${randomUUID().replaceAll('-', '').slice(0, 12)}`;

afterAll(async () => {
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pool.end();
});

test('concurrency 50 on a pool of 4: no pool-size warning in the log (jobs hold no connection), and jobs run', async () => {
  const errors = vi.spyOn(console, 'error');
  const queue = new JobQueue({ pool, schema, concurrency: 50 });
  try {
    await queue.migrate();
    const ran = new Promise<unknown>((resolve) => {
      void queue.start({ 'quiet-test': async (payload) => resolve(payload) });
    });
    await queue.add([{ task: 'quiet-test', payload: { n: 1 } }]);
    expect(await ran).toEqual({ n: 1 });
    expect(errors.mock.calls.map((call) => String(call[0]))).not.toContainEqual(expect.stringMatching(/maxPoolSize/));
  } finally {
    errors.mockRestore();
    await queue.stop();
  }
});
