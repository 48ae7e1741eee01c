// CPU time used by a database's PostgreSQL backends, read from /proc when PostgreSQL runs on this machine.
import fs from 'node:fs';
import type { Queryable } from '../../server/src/db/pool.ts';

/** Linux reports utime/stime in clock ticks of 1/100 s (USER_HZ). */
const MICROS_PER_TICK = 10_000;

/** Backend pids connected to the current database with this application_name. */
export async function backendPids(db: Queryable, applicationName: string): Promise<number[]> {
  const { rows } = await db.query(
    'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1',
    [applicationName]
  );
  return rows.map((row) => row.pid as number);
}

/** CPU time (user + system, µs) of each pid that can be read; pids on another machine or gone are left out. */
export function cpuMicrosByPid(pids: number[]): Map<number, number> {
  const micros = new Map<number, number>();
  for (const pid of pids) {
    try {
      // Fields after "(comm) ": state is field 3, utime 14, stime 15 (1-based).
      const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      micros.set(pid, (Number(fields[11]) + Number(fields[12])) * MICROS_PER_TICK);
    } catch {
      // not local, or exited
    }
  }
  return micros;
}

/** CPU the backends used between two readings; undefined when none could be read (a remote server). */
export function cpuMicrosBetween(before: Map<number, number>, after: Map<number, number>): number | undefined {
  if (after.size === 0) {
    return undefined;
  }
  let total = 0;
  for (const [pid, micros] of after) {
    total += micros - (before.get(pid) ?? 0);
  }
  return total;
}
