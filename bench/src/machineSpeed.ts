// How fast this machine was when the run started: fixed JavaScript work and PostgreSQL round trips, to compare runs across days.
import pg from 'pg';
import { percentiles } from './percentile.ts';

export interface MachineSpeed {
  /** Milliseconds one core took for a fixed amount of JSON work shaped like the server's (best of three). */
  jsonWorkMs: number;
  /** Microseconds for `SELECT 1` on one connection, sent one after another: the cost of a round trip to PostgreSQL. */
  postgresRoundTripP50Us: number;
  postgresRoundTripP95Us: number;
}

const OBSERVATION = {
  resourceType: 'Observation',
  id: '01a21154-4c85-7180-b874-c1d4f7e83382',
  meta: { versionId: '01a21154-4c85-7180-b874-c1d4f7e83383', lastUpdated: '2026-11-25T06:00:00.000Z' },
  status: 'final',
  category: [
    { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] },
  ],
  code: { coding: [{ system: 'http://loinc.org', code: '59408-5', display: 'Oxygen saturation by pulse oximetry' }] },
  subject: { reference: 'Patient/01a21154-4c85-7180-b874-c1d4f7e83384' },
  effectiveDateTime: '2026-11-25T05:59:58.000Z',
  valueQuantity: { value: 91, unit: '%', system: 'http://unitsofmeasure.org', code: '%' },
};

/** One pass of the fixed work: serialise and parse an Observation many times, touching every field. */
function jsonWork(): number {
  let checksum = 0;
  for (let i = 0; i < 20_000; i++) {
    const text = JSON.stringify({ ...OBSERVATION, id: `${OBSERVATION.id}-${i}` });
    const parsed = JSON.parse(text) as typeof OBSERVATION;
    checksum += parsed.valueQuantity.value + parsed.id.length + text.length;
  }
  return checksum;
}

function timeJsonWork(): number {
  let best = Infinity;
  for (let run = 0; run < 3; run++) {
    const start = performance.now();
    if (jsonWork() <= 0) {
      throw new Error('JSON work gave no result');
    }
    best = Math.min(best, performance.now() - start);
  }
  return best;
}

async function timeRoundTrips(databaseUrl: string, count: number): Promise<number[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    for (let i = 0; i < 100; i++) {
      await client.query('SELECT 1'); // warm-up: connection buffers, the backend's caches
    }
    const times: number[] = [];
    for (let i = 0; i < count; i++) {
      const start = process.hrtime.bigint();
      await client.query('SELECT 1');
      times.push(Number(process.hrtime.bigint() - start) / 1000);
    }
    return times;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Measures the machine before the load starts (about a second). */
export async function measureMachineSpeed(databaseUrl: string): Promise<MachineSpeed> {
  const jsonWorkMs = timeJsonWork();
  const [p50, p95] = percentiles(await timeRoundTrips(databaseUrl, 2_000), [50, 95]);
  return { jsonWorkMs, postgresRoundTripP50Us: p50, postgresRoundTripP95Us: p95 };
}

/** The line printed under the machine line. */
export function describeMachineSpeed(speed: MachineSpeed): string {
  return (
    `Machine speed before the run: ${speed.jsonWorkMs.toFixed(0)} ms of fixed JSON work on one core; ` +
    `PostgreSQL round trip (SELECT 1) p50 ${speed.postgresRoundTripP50Us.toFixed(0)} µs, ` +
    `p95 ${speed.postgresRoundTripP95Us.toFixed(0)} µs. This machine's speed varies from day to day: ` +
    'compare runs by these first.'
  );
}
