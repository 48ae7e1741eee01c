// Builds the app (vite build into dist/) unless dist/ is newer than every source file; `npm start` and the E2E tests use it.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const APP_DIR = fileURLToPath(new URL('..', import.meta.url));
const BUILT_PAGE = path.join(APP_DIR, 'dist', 'index.html');
/** The app's own sources and the bots' code it compiles in (threshold and missed-reading rules: app and bots agree). */
const SOURCES = [
  'src',
  'index.html',
  'launch.html',
  'vite.config.ts',
  'postcss.config.js',
  'package.json',
  '../../bots/src/rules/thresholds',
  '../../bots/src/fhir',
  '../../bots/src/rules/missedReadings',
];

function newestChange(entry: string): number {
  const stat = statSync(entry);
  if (!stat.isDirectory()) {
    return stat.mtimeMs;
  }
  return Math.max(stat.mtimeMs, ...readdirSync(entry).map((name) => newestChange(path.join(entry, name))));
}

/** True when dist/ is missing or older than a source file. */
export function isStale(): boolean {
  if (!existsSync(BUILT_PAGE)) {
    return true;
  }
  const built = statSync(BUILT_PAGE).mtimeMs;
  return SOURCES.some((name) => {
    const entry = path.join(APP_DIR, name);
    return existsSync(entry) && newestChange(entry) > built;
  });
}

/** Runs `vite build` for the app when it is stale; resolves with whether it built. */
export async function ensureClinicianAppBuilt(): Promise<boolean> {
  if (!isStale()) {
    return false;
  }
  const vite = path.join(path.dirname(createRequire(import.meta.url).resolve('vite/package.json')), 'bin', 'vite.js');
  await promisify(execFile)(process.execPath, [vite, 'build', '--logLevel', 'warn'], {
    cwd: APP_DIR,
    // Under vitest NODE_ENV is "test", which would bundle React's development build.
    env: { ...process.env, NODE_ENV: 'production' },
    maxBuffer: 16 * 1024 * 1024,
  });
  return true;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  const built = await ensureClinicianAppBuilt();
  console.log(
    built
      ? `Clinician app built in ${((Date.now() - started) / 1000).toFixed(1)} s`
      : 'Clinician app is up to date (apps/clinician-smart-app/dist)'
  );
}
