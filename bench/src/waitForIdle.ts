// Waits until the server and its database have finished earlier work, so one measurement's backlog can't slow the next.
import pg from 'pg';

export interface IdleWait {
  seconds: number;
  /** False when the time limit passed first (the next measurement may be disturbed). */
  idle: boolean;
}

const POLL_MS = 250;
const QUIET_POLLS_NEEDED = 3;
const FAST_PROBE_MS = 100;

/**
 * Idle means, for a few polls in a row: no active query on the bench database other than ours (server backlog,
 * autovacuum) and the server answering GET /healthz quickly (its event loop is free).
 */
export async function waitForIdle(databaseUrl: string, origin: string, maxSeconds: number): Promise<IdleWait> {
  const started = performance.now();
  const deadline = started + maxSeconds * 1000;
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'rpm-bench-idle' });
  await client.connect();
  try {
    let quietPolls = 0;
    while (performance.now() < deadline) {
      const active = await client.query<{ n: string }>(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active'"
      );
      const probeStarted = performance.now();
      const probeOk = await fetch(`${origin}/healthz`, { signal: AbortSignal.timeout(5_000) })
        .then(async (response) => {
          await response.arrayBuffer();
          return true;
        })
        .catch(() => false);
      const fast = probeOk && performance.now() - probeStarted < FAST_PROBE_MS;
      quietPolls = Number(active.rows[0].n) === 0 && fast ? quietPolls + 1 : 0;
      if (quietPolls >= QUIET_POLLS_NEEDED) {
        return { seconds: (performance.now() - started) / 1000, idle: true };
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    return { seconds: (performance.now() - started) / 1000, idle: false };
  } finally {
    await client.end().catch(() => undefined);
  }
}
