// Builds the clinician app unless its dist/ is up to date; `npm start` (prestart) and the E2E tests use it.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildWhenStale, buildWhenStaleFromCli, type AppBuild } from '../../build-tools/buildWhenStale.ts';

/** The app's own sources and the bots' code it compiles in (threshold and missed-reading rules: app and bots agree). */
const CLINICIAN_APP: AppBuild = {
  appDir: fileURLToPath(new URL('..', import.meta.url)),
  sources: [
    'src',
    'index.html',
    'launch.html',
    'vite.config.ts',
    'postcss.config.js',
    'package.json',
    '../../bots/src/rules/thresholds',
    '../../bots/src/fhir',
    '../../bots/src/rules/missedReadings',
    // Code shared by both apps (apps/shared: the live websocket channel).
    '../shared',
  ],
};

/** Runs `vite build` for the clinician app when it is stale; resolves with whether it built. */
export function ensureClinicianAppBuilt(): Promise<boolean> {
  return buildWhenStale(CLINICIAN_APP);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildWhenStaleFromCli(CLINICIAN_APP, 'Clinician app');
}
