// Builds the patient app unless its dist/ is up to date; `npm start` (prestart) and the E2E tests use it.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildWhenStale, buildWhenStaleFromCli, type AppBuild } from '../../build-tools/buildWhenStale.ts';

const PATIENT_APP: AppBuild = {
  appDir: fileURLToPath(new URL('..', import.meta.url)),
  // The app's own sources and the bots' time-zone code it compiles in (due times as the missed-readings rule has them).
  sources: [
    'src',
    'public',
    'index.html',
    'launch.html',
    'vite.config.ts',
    'postcss.config.js',
    'package.json',
    '../../bots/src/rules/missedReadings',
    // Code shared by both apps (apps/shared: the live websocket channel).
    '../shared',
  ],
};

/** Runs `vite build` for the patient app when it is stale; resolves with whether it built. */
export function ensurePatientAppBuilt(): Promise<boolean> {
  return buildWhenStale(PATIENT_APP);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildWhenStaleFromCli(PATIENT_APP, 'Patient app');
}
