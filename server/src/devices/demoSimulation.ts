// `npm start` with RPM_DEMO_SIMULATION: the device simulator (bench/src/simulator) as a child process, so the demo is alive.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT, type ServerConfig } from '../config.ts';

/** Five simulated patients, each home's devices reading once a minute: a small, steady stream for the demo ward. */
export const DEMO_SIMULATION_ARGS = ['--patients', '5', '--interval', '60'] as const;

export interface DemoSimulation {
  /** Stops the simulator (SIGTERM; SIGKILL after 5 s) and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * Starts `bench/src/simulator/main.ts` against this server with the admin client (development only: the caller starts
 * it only when `config.demoSimulation`, which is never true in production). Its output is prefixed "[simulate]". If
 * it fails, the server runs on without it.
 */
export function startDemoSimulation(config: ServerConfig, baseUrl: string): DemoSimulation {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      path.join(REPO_ROOT, 'bench', 'src', 'simulator', 'main.ts'),
      ...DEMO_SIMULATION_ARGS,
      '--base-url',
      baseUrl,
      '--admin-client-id',
      config.adminClientId,
      '--admin-client-secret',
      config.adminClientSecret,
    ],
    { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'] }
  );
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      if (code !== 0 && signal === null) {
        console.error(`[simulate] the demo simulation stopped (exit code ${code}); the server runs on`);
      }
      resolve();
    });
    child.once('error', (err) => {
      console.error(`[simulate] the demo simulation could not start: ${err.message}`);
      resolve();
    });
  });
  return {
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}
