// Audit scenario: the sustained AuditEvent write rate of the server's own createAuditLog, into the bench database.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { AuditEntry } from '../../server/src/audit/auditEvent.ts';
import { createAuditLog } from '../../server/src/audit/auditLog.ts';
import { migrate } from '../../server/src/db/migrate.ts';
import { createPool } from '../../server/src/db/pool.ts';
import { backendPids, cpuMicrosBetween, cpuMicrosByPid } from './postgresCpu.ts';

export interface AuditWriteResult {
  events: number;
  /** AuditEvent rows that appeared in the database (must equal events). */
  written: number;
  dropped: number;
  failedFlushes: number;
  seconds: number;
  eventsPerSecond: number;
  maxBatch: number;
  /** Event-loop delay while writing, ms: how long a request arriving meanwhile could have waited. */
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
  /** CPU time of this process (building rows, sending them) per event, µs; PostgreSQL's work is not included. */
  processCpuMicrosPerEvent: number;
  /** CPU time of the log's PostgreSQL backends per event, µs, when PostgreSQL runs on this machine. */
  postgresCpuMicrosPerEvent?: number;
}

/** Records are offered as fast as the log drains them: the producer pauses while more than this many wait. */
const MAX_BACKLOG = 10_000;
const WARM_UP_EVENTS = 2_000;
const MAX_BATCH = 500;
/** createPool's application_name: how the log's backends are found in pg_stat_activity. */
const AUDIT_APPLICATION_NAME = 'rpm-server';

/** A mix like a clinician-facing day: reads, patient searches, creates by gateways, token issues. */
export function syntheticAuditEntry(i: number, patientIds: string[], recorded = new Date()): AuditEntry {
  const patientId = patientIds[i % patientIds.length];
  const user = { who: `Practitioner/bench-${i % 50}`, accountId: `account-${i % 50}`, clientId: 'clinician-app' };
  const network = { ip: `10.0.${(i >> 8) & 255}.${i & 255}`, userAgent: 'rpm-bench/1.0' };
  const kind = i % 20;
  if (kind < 12) {
    return {
      action: 'read',
      outcome: 'success',
      recorded,
      agent: { ...user, ...network },
      entity: { reference: `Observation/bench-${i}` },
      patient: `Patient/${patientId}`,
    };
  }
  if (kind < 17) {
    return {
      action: 'search',
      outcome: 'success',
      recorded,
      agent: { ...user, ...network },
      entity: { type: 'Observation', query: `subject=Patient/${patientId}&code=http://loinc.org|8867-4&_sort=-date` },
      patient: `Patient/${patientId}`,
    };
  }
  if (kind < 19) {
    return {
      action: 'create',
      outcome: 'success',
      recorded,
      agent: { clientId: 'gateway-7', ...network },
      entity: { reference: `Observation/bench-created-${i}/_history/1` },
      patient: `Patient/${patientId}`,
    };
  }
  return {
    action: 'token',
    outcome: 'success',
    recorded,
    agent: { clientId: 'gateway-7', ...network },
    entity: { detail: { scope: 'system/Observation.c', grant_type: 'client_credentials' } },
  };
}

async function countAuditEvents(pool: ReturnType<typeof createPool>): Promise<number> {
  const { rows } = await pool.query("SELECT count(*)::int AS n FROM resource WHERE resource_type = 'AuditEvent'");
  return rows[0].n as number;
}

/**
 * Records `events` synthetic entries through createAuditLog (default timer, batches of 500) as fast as it writes
 * them, after a warm-up (definitions, JIT) that is not measured; the clock stops when the last batch is committed.
 */
export async function auditWriteRate(
  databaseUrl: string,
  events: number,
  patientIds: string[]
): Promise<AuditWriteResult> {
  const pool = createPool(databaseUrl, 4);
  const audit = createAuditLog({ pool, maxBatch: MAX_BATCH });
  try {
    const ids = patientIds.length > 0 ? patientIds : ['bench-patient'];
    for (let i = 0; i < WARM_UP_EVENTS; i++) {
      audit.record(syntheticAuditEntry(i, ids));
    }
    await audit.flush();
    const before = await countAuditEvents(pool);
    const warm = audit.stats();

    const loopDelay = monitorEventLoopDelay({ resolution: 1 });
    loopDelay.enable();
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const postgresBefore = cpuMicrosByPid(await backendPids(pool, AUDIT_APPLICATION_NAME));
    for (let i = 0; i < events; i++) {
      audit.record(syntheticAuditEntry(i, ids));
      if (i % 1000 === 999) {
        while (audit.stats().queued > MAX_BACKLOG) {
          await new Promise((resolve) => setTimeout(resolve, 2));
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    await audit.flush();
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    loopDelay.disable();
    const postgresAfter = cpuMicrosByPid([
      ...new Set([...postgresBefore.keys(), ...(await backendPids(pool, AUDIT_APPLICATION_NAME))]),
    ]);
    const postgresCpu = cpuMicrosBetween(postgresBefore, postgresAfter);

    const stats = audit.stats();
    return {
      events,
      written: (await countAuditEvents(pool)) - before,
      dropped: stats.dropped - warm.dropped,
      failedFlushes: stats.failedFlushes - warm.failedFlushes,
      seconds,
      eventsPerSecond: events / seconds,
      maxBatch: MAX_BATCH,
      eventLoopDelayP99Ms: loopDelay.percentile(99) / 1e6,
      eventLoopDelayMaxMs: loopDelay.max / 1e6,
      processCpuMicrosPerEvent: (cpu.user + cpu.system) / events,
      ...(postgresCpu !== undefined ? { postgresCpuMicrosPerEvent: postgresCpu / events } : {}),
    };
  } finally {
    await audit.close();
    await pool.end();
  }
}

/** AuditEvents in the database (for the audit written by the server during the HTTP measurements). */
export async function auditEventCount(databaseUrl: string): Promise<number> {
  const pool = createPool(databaseUrl, 1);
  try {
    return await countAuditEvents(pool);
  } finally {
    await pool.end();
  }
}

/**
 * Audit records counted as the server's reads of one resource type: the entities naming that type across all
 * AuditEvents. Reads by one caller within a batch share an AuditEvent (one entity each), so rows undercount them.
 */
export async function auditedReadCount(databaseUrl: string, resourceType: string): Promise<number> {
  const pool = createPool(databaseUrl, 1);
  try {
    const { rows } = await pool.query(
      `SELECT count(*)::int AS n FROM resource r, jsonb_array_elements((r.content::jsonb)->'entity') e
       WHERE r.resource_type = 'AuditEvent' AND e->'what'->>'reference' LIKE $1`,
      [`${resourceType}/%`]
    );
    return rows[0].n as number;
  } finally {
    await pool.end();
  }
}

/** Creates the server's tables in a fresh database (the audit scenario runs without a server to do it). */
export async function migrateBenchDatabase(databaseUrl: string): Promise<void> {
  const pool = createPool(databaseUrl, 1);
  try {
    await migrate(pool);
  } finally {
    await pool.end();
  }
}
