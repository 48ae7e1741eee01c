// The audit log: records queue in memory and are written in batches as AuditEvent resources, off the request path.
import type { Resource } from '@medplum/fhirtypes';
import { withDbTransaction, type Db } from '../db/pool.ts';
import { writeResourceVersions, type ResourceVersionRow } from '../fhir/repository/resourceRows.ts';
import { timeOrderedId } from '../fhir/repository/timeOrderedId.ts';
import { buildSearchIndexRows, insertSearchIndexRows, type SearchIndexRows } from '../fhir/search/index.ts';
import { buildAuditEvent, groupAuditEntries, type AuditEntry, type CoalesceOptions } from './auditEvent.ts';

export interface AuditLog {
  /** Queues one event; never waits for the database and never throws for a database problem. */
  record(entry: AuditEntry): void;
  /** Writes everything queued so far; rejects (keeping the entries for the next try) when the database fails. */
  flush(): Promise<void>;
  /** Stops the timer and writes what is left; later records are dropped. Never rejects. */
  close(): Promise<void>;
}

/** Counters of one audit log since it was created. */
export interface AuditLogStats {
  /** Records waiting to be written (including a batch being written now). */
  queued: number;
  /** Records written. */
  written: number;
  /** AuditEvent resources written: fewer than the records, since reads and searches of one caller share events. */
  events: number;
  dropped: number;
  failedFlushes: number;
}

/** The batched audit log createAuditLog makes: an AuditLog with counters for monitoring and the bench. */
export interface BatchedAuditLog extends AuditLog {
  stats(): AuditLogStats;
}

export interface AuditLogOptions {
  pool: Db;
  /** How long a record may wait before it is written, ms. */
  flushIntervalMs?: number;
  /** Events per database transaction; a full batch is written at once. */
  maxBatch?: number;
  /** Events kept while the database is failing; past this the oldest are dropped (and that is logged). */
  maxQueued?: number;
  /** Batches written at once (each its own transaction and connection). */
  concurrency?: number;
  /** Most records (entities) one coalesced AuditEvent of reads or searches holds. */
  maxEntitiesPerEvent?: number;
  /** Longest time from the first to the last record of one coalesced AuditEvent, ms. */
  maxEventSpanMs?: number;
  /** AuditEvent.source.site, e.g. the host name when several instances share a database (default: none). */
  site?: string;
  /** Where problems are reported (default console.error). */
  log?: (message: string) => void;
}

/** Longest wait between retries while the database keeps failing. */
const MAX_RETRY_DELAY_MS = 5_000;

/**
 * Events built between two turns of the event loop: building one costs tens of microseconds (mostly the FHIRPath of
 * its search parameters), so a batch of 500 built in one go would hold up every request for tens of milliseconds.
 */
const BUILD_SLICE = 25;

/**
 * Records per INSERT statement inside a batch's transaction (an event of N coalesced records counts N). The JSON of each
 * event travels twice (current and history rows) in text arrays that pg escapes synchronously: about a hundred
 * microseconds an uncoalesced event, so a statement of 500 would hold the event loop for tens of milliseconds.
 */
const WRITE_SLICE = 100;

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Index rows without repeats: a coalesced event's entities share their type, role and patient values. */
function withoutRepeats(rows: SearchIndexRows): SearchIndexRows {
  const unique = <T>(list: T[]): T[] => {
    if (list.length < 2) {
      return list;
    }
    const seen = new Set<string>();
    return list.filter((row) => {
      const key = JSON.stringify(row);
      return seen.has(key) ? false : (seen.add(key), true);
    });
  };
  return {
    ...rows,
    token: unique(rows.token),
    string: unique(rows.string),
    reference: unique(rows.reference),
    date: unique(rows.date),
    number: unique(rows.number),
    quantity: unique(rows.quantity),
    uri: unique(rows.uri),
  };
}

/**
 * The rows of one batch: its records grouped into AuditEvents (reads and searches of one caller coalesced, see
 * groupAuditEntries), and each event's version row (current + history) and search-index rows.
 */
async function toRows(
  entries: AuditEntry[],
  site: string | undefined,
  coalesce: CoalesceOptions,
  log: (message: string) => void
) {
  const lastUpdated = new Date().toISOString();
  const versions: ResourceVersionRow[] = [];
  const index: SearchIndexRows[] = [];
  /** Records per event written, in the order of versions. */
  const records: number[] = [];
  const groups = groupAuditEntries(entries, coalesce);
  let built = 0;
  for (const group of groups) {
    if (built >= BUILD_SLICE) {
      built = 0;
      await nextTurn();
    }
    built += Math.ceil(group.length / 10); // An entity costs about a tenth of an event (its index rows).
    const entry = group[0];
    try {
      const { resourceType, ...event } = buildAuditEvent(group, { site });
      const id = timeOrderedId(entry.recorded.getTime());
      const versionId = timeOrderedId();
      const resource = { resourceType, id, meta: { versionId, lastUpdated }, ...event };
      versions.push({
        resourceType,
        id,
        versionId,
        lastUpdated,
        deleted: false,
        operation: 'create',
        content: JSON.stringify(resource),
      });
      const rows = buildSearchIndexRows(resource as Resource & { id: string });
      index.push(group.length > 1 ? withoutRepeats(rows) : rows);
      records.push(group.length);
    } catch (err) {
      // A malformed record would fail every retry: drop it (with the records it was grouped with) alone.
      log(`Audit log: dropped ${group.length} malformed ${String(entry?.action)} record(s): ${(err as Error).message}`);
    }
  }
  return { versions, index, records };
}

export function createAuditLog(options: AuditLogOptions): BatchedAuditLog {
  const { pool, flushIntervalMs = 200, maxBatch = 500, maxQueued = 50_000, concurrency = 2 } = options;
  const coalesce: CoalesceOptions = {
    maxEntries: options.maxEntitiesPerEvent ?? 100,
    maxSpanMs: options.maxEventSpanMs ?? 1_000,
  };
  const { site } = options;
  const log = options.log ?? ((message: string) => console.error(message));
  let queue: AuditEntry[] = [];
  let timer: NodeJS.Timeout | undefined;
  /** Flushes run one after another: each waits for the previous. */
  let chain: Promise<void> = Promise.resolve();
  let building: Promise<unknown> = Promise.resolve();
  let flushScheduled = false;
  let dropped = 0;
  let inFlight = 0;
  const totals = { written: 0, events: 0, dropped: 0, failedFlushes: 0 };
  let consecutiveFailures = 0;
  let closed = false;

  /** Keeps the newest maxQueued entries; the count dropped is reported by the next flush. */
  function trim(): void {
    if (queue.length > maxQueued) {
      const excess = queue.length - maxQueued;
      queue.splice(0, excess);
      dropped += excess;
      totals.dropped += excess;
    }
  }

  function retryDelay(): number {
    return consecutiveFailures === 0
      ? flushIntervalMs
      : Math.min(flushIntervalMs * 2 ** consecutiveFailures, MAX_RETRY_DELAY_MS);
  }

  function schedule(delay: number): void {
    if (!timer && !closed) {
      timer = setTimeout(() => {
        timer = undefined;
        flushInBackground();
      }, delay);
      timer.unref();
    }
  }

  function flushInBackground(): void {
    if (flushScheduled) {
      return;
    }
    flushScheduled = true;
    flush().catch(() => undefined); // Reported by writeQueued; the entries stay queued.
  }

  async function writeBatch(batch: AuditEntry[]): Promise<void> {
    // One batch is built at a time (the CPU work), while others may be in the database: a pipeline.
    const built = building.then(() => toRows(batch, site, coalesce, log));
    building = built.catch(() => undefined);
    const { versions, index, records } = await built;
    if (versions.length === 0) {
      return;
    }
    await withDbTransaction(pool, async (client) => {
      // Statements of about WRITE_SLICE records (a coalesced event's entities count one each): pg serialises each
      // statement's parameters in one go on the event loop.
      let from = 0;
      while (from < versions.length) {
        let to = from;
        for (let size = 0; to < versions.length && (to === from || size + records[to] <= WRITE_SLICE); to++) {
          size += records[to];
        }
        await writeResourceVersions(client, versions.slice(from, to));
        await insertSearchIndexRows(client, index.slice(from, to));
        from = to;
      }
    });
    totals.written += records.reduce((sum, n) => sum + n, 0);
    totals.events += versions.length;
  }

  /**
   * Writes what is queued now (and any further full batches that arrive meanwhile), in transactions of maxBatch,
   * `concurrency` at a time: while one batch is in the database the next one is being built. On failure the batches
   * that failed go back to the front of the queue, in order, and the flush rejects.
   */
  async function writeQueued(): Promise<void> {
    flushScheduled = false;
    trim();
    if (dropped > 0) {
      log(`Audit log: DROPPED ${dropped} audit events (queue full at ${maxQueued} while the database was failing)`);
      dropped = 0;
    }
    let remaining = queue.length;
    let taken = 0;
    let failure: unknown;
    const failed: { order: number; batch: AuditEntry[] }[] = [];
    const writer = async (): Promise<void> => {
      while (failure === undefined && queue.length > 0 && (remaining > 0 || queue.length >= maxBatch)) {
        const batch = queue.splice(0, maxBatch);
        const order = taken++;
        remaining -= batch.length;
        inFlight += batch.length;
        try {
          await writeBatch(batch);
        } catch (err) {
          failure ??= err;
          failed.push({ order, batch });
        } finally {
          inFlight -= batch.length;
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, writer));
    if (failure !== undefined) {
      const kept = failed.sort((a, b) => a.order - b.order).flatMap((f) => f.batch);
      queue = kept.concat(queue);
      trim();
      consecutiveFailures++;
      totals.failedFlushes++;
      log(
        `Audit log: writing ${kept.length} audit events failed (${(failure as Error).message}); ${queue.length} kept for a retry in ${retryDelay()} ms`
      );
      schedule(retryDelay());
      throw failure;
    }
    if (consecutiveFailures > 0) {
      log(`Audit log: writing again after ${consecutiveFailures} failed attempts`);
      consecutiveFailures = 0;
    }
    if (queue.length > 0) {
      schedule(flushIntervalMs);
    }
  }

  function flush(): Promise<void> {
    const run = chain.then(writeQueued);
    chain = run.catch(() => undefined);
    return run;
  }

  return {
    record(entry) {
      if (closed) {
        return;
      }
      queue.push(entry);
      if (queue.length >= maxQueued + maxBatch) {
        trim(); // Amortised: the queue is cut back once per maxBatch records while the database is down.
      }
      if (queue.length >= maxBatch && consecutiveFailures === 0) {
        flushInBackground();
      } else {
        schedule(retryDelay());
      }
    },
    flush,
    stats: () => ({ queued: queue.length + inFlight, ...totals }),
    async close() {
      closed = true;
      clearTimeout(timer);
      timer = undefined;
      await flush().catch((err: unknown) => {
        log(`Audit log: ${queue.length} audit events were not written at shutdown: ${(err as Error).message}`);
      });
    },
  };
}
