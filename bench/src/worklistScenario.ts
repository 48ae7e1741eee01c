// `npm run bench -- --scenario worklist`: the clinician app's 500-patient worklist benchmark (an E2E test in Chromium).
import { spawn } from 'node:child_process';
import { REPO_ROOT } from './childProcesses.ts';

/** The benchmark mode of e2e/worklistScale.browser.test.ts: it seeds the caseload, times the loads and prints them. */
export const WORKLIST_TEST = 'e2e/worklistScale.browser.test.ts';

/**
 * Runs the worklist benchmark with vitest (RPM_E2E_BENCH=1) against BENCH_DATABASE_SERVER_URL's PostgreSQL (the
 * test makes and drops its own database there); its report is the test's output. Resolves to vitest's exit code.
 */
export function runWorklistScenario(): Promise<number> {
  const databaseUrl =
    process.env.DATABASE_URL ?? process.env.BENCH_DATABASE_SERVER_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['vitest', 'run', WORKLIST_TEST], {
      cwd: REPO_ROOT,
      stdio: 'inherit',
      env: { ...process.env, RPM_E2E_BENCH: '1', DATABASE_URL: databaseUrl },
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? 1));
  });
}
