// CPU the FHIR server processes (all their threads) and their PostgreSQL backends use over a stretch of the alerting run.
import pg from 'pg';
import { backendPids, cpuMicrosBetween, cpuMicrosByPid } from '../postgresCpu.ts';

export interface ServerCpu {
  /** Wall-clock seconds measured. */
  seconds: number;
  /** CPU seconds of the server processes (every instance): HTTP, jobs, bot worker threads. */
  serverSeconds: number;
  /** CPU seconds of the server's PostgreSQL backends; undefined when PostgreSQL runs on another machine. */
  postgresSeconds?: number;
}

/** The server's own backends (pool application_name, see server/src/db/pool.ts). */
const SERVER_APPLICATION_NAME = 'rpm-server';

/**
 * Starts measuring; `stop()` returns what was used since, or undefined when the server's /proc entry cannot be read.
 * PostgreSQL's part needs it on this machine too.
 */
export async function measureServerCpu(
  databaseUrl: string,
  serverPids: (number | undefined)[]
): Promise<{ stop(): Promise<ServerCpu | undefined> }> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  const started = Date.now();
  const serverBefore = processesCpuMicros(serverPids);
  const postgresBefore = cpuMicrosByPid(await backendPids(db, SERVER_APPLICATION_NAME));
  // The pool closes idle connections and opens new ones during a long run: every backend seen is followed, and one
  // that ends keeps its last reading (at most a second of its CPU is missed), instead of counting only those alive
  // at the end.
  const postgresLatest = new Map(postgresBefore);
  const follow = async () => {
    for (const [pid, micros] of cpuMicrosByPid(await backendPids(db, SERVER_APPLICATION_NAME))) {
      postgresLatest.set(pid, micros);
    }
  };
  let following = Promise.resolve();
  const timer = setInterval(() => {
    following = following.then(follow).catch(() => undefined);
  }, 1000);
  return {
    async stop() {
      clearInterval(timer);
      try {
        await following;
        await follow();
        const postgresAfter = postgresLatest;
        const serverAfter = processesCpuMicros(serverPids);
        if (serverBefore === undefined || serverAfter === undefined) {
          return undefined;
        }
        const postgres = postgresAfter.size ? cpuMicrosBetween(postgresBefore, postgresAfter) : undefined;
        return {
          seconds: (Date.now() - started) / 1000,
          serverSeconds: (serverAfter - serverBefore) / 1e6,
          ...(postgres !== undefined ? { postgresSeconds: postgres / 1e6 } : {}),
        };
      } finally {
        await db.end().catch(() => undefined);
      }
    },
  };
}

/** user + system CPU of whole processes (every thread), µs summed; undefined when any cannot be read. */
function processesCpuMicros(pids: (number | undefined)[]): number | undefined {
  const known = pids.filter((pid): pid is number => pid !== undefined);
  const micros = cpuMicrosByPid(known);
  return known.length === pids.length && micros.size === known.length
    ? [...micros.values()].reduce((sum, m) => sum + m, 0)
    : undefined;
}
