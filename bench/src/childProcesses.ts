// Starts the FHIR server and the hello-world ceiling as separate processes, waits for them, and stops them.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const STOP_GRACE_MS = 5_000;

export interface RunningChild {
  name: string;
  process: ChildProcess;
  origin: string;
  /** The last lines it printed (for error messages). */
  tail(): string;
}

/** A free TCP port on loopback (there is a small race before the child binds it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function captureOutput(child: ChildProcess, logPath: string): () => string {
  const log = fs.createWriteStream(logPath);
  const lines: string[] = [];
  const keep = (chunk: Buffer): void => {
    log.write(chunk);
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    lines.splice(0, Math.max(0, lines.length - 30));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.once('exit', () => log.end());
  return () => lines.join('\n');
}

/**
 * Starts `node server/src/main.ts` with the pinned Node (this process's executable) on a fresh database,
 * and resolves once GET /fhir/R4/metadata answers 200.
 */
export async function startFhirServer(
  databaseUrl: string,
  logPath: string,
  timeoutMs = 120_000,
  env: NodeJS.ProcessEnv = {}
): Promise<RunningChild> {
  const port = await freePort();
  // BENCH_SERVER_NODE_ARGS: extra Node options for the server only, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to
  // profile it (Node refuses --cpu-prof in NODE_OPTIONS, and NODE_OPTIONS would profile the bench itself too).
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, 'server/src/main.ts'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      RPM_SEED_DEMO_DATA: 'false',
      NODE_ENV: 'development',
      // The storage scenarios measure the FHIR server alone; the alerting scenario turns the alert bots on.
      RPM_BUILT_IN_BOTS: 'false',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail = captureOutput(child, logPath);
  const origin = `http://127.0.0.1:${port}`;
  const running: RunningChild = { name: 'FHIR server', process: child, origin, tail };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `the FHIR server exited during start-up (code ${child.exitCode ?? child.signalCode}); last output:\n${tail()}`
      );
    }
    try {
      const response = await fetch(`${origin}/fhir/R4/metadata`, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      if (response.status === 200) {
        return running;
      }
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await stopChild(running);
  throw new Error(
    `the FHIR server did not answer GET /fhir/R4/metadata with 200 within ${timeoutMs / 1000} s; last output:\n${tail()}`
  );
}

/** Starts the bare express hello-world server in its own process and resolves with its origin. */
export async function startHelloWorld(timeoutMs = 30_000): Promise<RunningChild> {
  const child = fork(fileURLToPath(new URL('./helloWorldServer.ts', import.meta.url)), [], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const lines: string[] = [];
  const keep = (chunk: Buffer): void => {
    lines.push(chunk.toString('utf8'));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const tail = (): string => lines.join('').slice(-2000);
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hello-world server did not start: ${tail()}`)), timeoutMs);
    child.once('message', (message: { port: number }) => {
      clearTimeout(timer);
      resolve(message.port);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`hello-world server exited (code ${code}): ${tail()}`));
    });
  });
  return { name: 'hello-world server', process: child, origin: `http://127.0.0.1:${port}`, tail };
}

/** SIGTERM, then SIGKILL after a grace period; resolves when the process has exited. */
export async function stopChild(child: RunningChild): Promise<void> {
  const proc = child.process;
  if (proc.exitCode !== null || proc.signalCode !== null) {
    return;
  }
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}
