// Builds a SMART app (vite build into its dist/) unless dist/ is newer than every one of its sources: shared by both apps.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';

export interface AppBuild {
  /** The app's folder (holds vite.config.ts). */
  appDir: string;
  /** Files and folders, relative to appDir, whose change makes the build stale. */
  sources: readonly string[];
}

function newestChange(entry: string): number {
  const stat = statSync(entry);
  if (!stat.isDirectory()) {
    return stat.mtimeMs;
  }
  return Math.max(stat.mtimeMs, ...readdirSync(entry).map((name) => newestChange(path.join(entry, name))));
}

/** True when dist/index.html is missing or older than a source file. */
export function isStale({ appDir, sources }: AppBuild): boolean {
  const builtPage = path.join(appDir, 'dist', 'index.html');
  if (!existsSync(builtPage)) {
    return true;
  }
  const built = statSync(builtPage).mtimeMs;
  return sources.some((name) => {
    const entry = path.join(appDir, name);
    return existsSync(entry) && newestChange(entry) > built;
  });
}

/** Runs `vite build` for the app when it is stale; resolves with whether it built. */
export async function buildWhenStale(app: AppBuild): Promise<boolean> {
  if (!isStale(app)) {
    return false;
  }
  const vite = path.join(path.dirname(createRequire(import.meta.url).resolve('vite/package.json')), 'bin', 'vite.js');
  await promisify(execFile)(process.execPath, [vite, 'build', '--logLevel', 'warn'], {
    cwd: app.appDir,
    // Under vitest NODE_ENV is "test", which would bundle React's development build.
    env: { ...process.env, NODE_ENV: 'production' },
    maxBuffer: 16 * 1024 * 1024,
  });
  return true;
}

/** The command-line form (`node build/ensureBuilt.ts`): builds when stale and says which it did. */
export async function buildWhenStaleFromCli(app: AppBuild, name: string): Promise<void> {
  const started = Date.now();
  const built = await buildWhenStale(app);
  console.log(
    built
      ? `${name} built in ${((Date.now() - started) / 1000).toFixed(1)} s`
      : `${name} is up to date (${path.relative(process.cwd(), path.join(app.appDir, 'dist')) || 'dist'})`
  );
}
