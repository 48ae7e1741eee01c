// Test helper: the server as a separate OS process (`main.ts`), for tests across instances or that kill a process.
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './freePort.ts';
import { TEST_ADMIN, TEST_APP_URLS } from './testServer.ts';

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../main.ts');

export interface ServerProcess {
  /** The configured public base URL (BASE_URL). */
  baseUrl: string;
  /** Where this process listens (differs from baseUrl when BASE_URL names a shared load balancer). */
  directUrl: string;
  fhirBaseUrl: string;
  process: ChildProcess;
  /** Everything the process printed so far. */
  output(): string;
  /** SIGTERM, and wait for the exit. */
  stop(): Promise<void>;
  /** SIGKILL (kill -9): no shutdown at all, and wait for the exit. */
  kill(): Promise<void>;
}

/**
 * Starts `node server/src/main.ts` (this process's Node, so Node 22) on the test database with a free port, and
 * waits until /healthz answers. `env` adds or overrides variables (REDIS_URL, BASE_URL, ...).
 */
export async function startServerProcess(env: NodeJS.ProcessEnv = {}): Promise<ServerProcess> {
  const port = await freePort();
  const directUrl = `http://127.0.0.1:${port}`;
  const baseUrl = env.BASE_URL ?? directUrl;
  let printed = '';
  const child = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      NODE_ENV: 'test',
      PORT: String(port),
      BASE_URL: baseUrl,
      DATABASE_URL: process.env.RPM_TEST_DATABASE_URL,
      RPM_SEED_DEMO_DATA: 'false',
      RPM_ADMIN_CLIENT_ID: TEST_ADMIN.clientId,
      RPM_ADMIN_CLIENT_SECRET: TEST_ADMIN.clientSecret,
      ...TEST_APP_URLS,
      // Its own job queue unless the test shares one between processes (as instances of one deployment do).
      RPM_JOB_SCHEMA: `jobs_${crypto.randomUUID().replaceAll('-', '').slice(0, 16)}`,
      RPM_BUILT_IN_BOTS: 'false',
      // As in testServer.ts: readings are never held for late alerts unless the test sets a limit.
      RPM_ALERT_BACKLOG_LIMIT_MS: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk) => (printed += chunk));
  child.stderr?.on('data', (chunk) => (printed += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`The server process exited (${child.exitCode}): ${printed}`);
    }
    const healthy = await fetch(`${directUrl}/healthz`).then(
      (r) => r.ok,
      () => false
    );
    if (healthy) {
      break;
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`The server process did not become healthy: ${printed}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    baseUrl,
    directUrl,
    fhirBaseUrl: `${baseUrl}/fhir/R4`,
    process: child,
    output: () => printed,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
      }
      await exited;
    },
    async kill() {
      if (child.exitCode === null) {
        child.kill('SIGKILL');
      }
      await exited;
    },
  };
}
