// How busy the whole machine's cores were over a stretch of a run, and how much of it the bench itself used.
import fs from 'node:fs';

/** Jiffies of all cores from /proc/stat's first line: busy (everything but idle and iowait) and in all. */
interface CoreTimes {
  busy: number;
  total: number;
}

/** /proc/stat's `cpu` line read as busy and total jiffies; undefined off Linux. */
export function parseCoreTimes(procStat: string): CoreTimes | undefined {
  const line = procStat.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) {
    return undefined;
  }
  // user nice system idle iowait irq softirq steal (guest and guest_nice are already in user and nice)
  const fields = line.trim().split(/\s+/).slice(1, 9).map(Number);
  if (fields.length < 5 || fields.some((n) => !Number.isFinite(n))) {
    return undefined;
  }
  const total = fields.reduce((sum, n) => sum + n, 0);
  const idle = fields[3] + fields[4];
  return { busy: total - idle, total };
}

function readCoreTimes(): CoreTimes | undefined {
  try {
    return parseCoreTimes(fs.readFileSync('/proc/stat', 'utf8'));
  } catch {
    return undefined;
  }
}

export interface MachineCpu {
  /** Share of all the machine's core time that was busy (0–1); undefined off Linux. */
  busyShare?: number;
  /** CPU seconds of this (the bench's) process, all its threads. */
  benchSeconds: number;
}

/** Starts measuring the machine and the bench process; `stop()` gives what they used since. */
export function measureMachineCpu(): { stop(): MachineCpu } {
  const cores = readCoreTimes();
  const bench = process.cpuUsage();
  return {
    stop() {
      const used = process.cpuUsage(bench);
      const after = readCoreTimes();
      const total = cores && after ? after.total - cores.total : 0;
      return {
        benchSeconds: (used.user + used.system) / 1e6,
        ...(cores && after && total > 0 ? { busyShare: (after.busy - cores.busy) / total } : {}),
      };
    },
  };
}
