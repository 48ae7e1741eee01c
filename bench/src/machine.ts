// The machine, runtime and database versions a result was measured on, printed beside the table.
import os from 'node:os';
import pg from 'pg';
import { measureMachineSpeed, type MachineSpeed } from './machineSpeed.ts';

export interface MachineInfo {
  cpus: string;
  memory: string;
  os: string;
  node: string;
  postgres: string;
  /** 1-minute load average when the run started: above 0 means other processes were competing for the cores. */
  loadAverageAtStart: number;
  /** Fixed work timed before the run; undefined when PostgreSQL could not be reached for it. */
  speed?: MachineSpeed;
}

/** 1-minute load average now. */
export function loadAverage(): number {
  return os.loadavg()[0];
}

export async function machineInfo(databaseUrl: string): Promise<MachineInfo> {
  const cpus = os.cpus();
  const loadAverageAtStart = loadAverage(); // before the speed measurement adds its own second of work
  let postgres: string;
  let speed: MachineSpeed | undefined;
  const client = new pg.Client({ connectionString: databaseUrl });
  try {
    await client.connect();
    const result = await client.query<{ server_version: string }>('SHOW server_version');
    postgres = `PostgreSQL ${result.rows[0].server_version}`;
    speed = await measureMachineSpeed(databaseUrl);
  } catch (err) {
    postgres = `unknown (${(err as Error).message})`;
  } finally {
    await client.end().catch(() => undefined);
  }
  return {
    cpus: `${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}`,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: `Node ${process.version}`,
    postgres,
    loadAverageAtStart,
    speed,
  };
}
