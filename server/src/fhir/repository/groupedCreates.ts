// Creates outside a transaction that arrive while earlier ones are being written go to PostgreSQL together, in one statement and one commit.
import type { WithId } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import type { Caller } from '../../auth/authenticate.ts';
import type { Db } from '../../db/pool.ts';
import { isWriteGuardFailure, StatementBatch } from '../../db/statementBatch.ts';
import type { JobSpec } from '../../jobs/jobQueue.ts';
import { writeTriggersOf } from '../../subscriptions/writeTriggers.ts';
import { addSearchIndexInserts, type SearchIndexRows } from '../search/index.ts';
import { toOperationOutcomeError } from './databaseErrors.ts';
import { addReferenceTargetsGuard } from './referenceTargets.ts';
import { addResourceVersionWrites, type ResourceVersionRow } from './resourceRows.ts';

/** One caller's create: its validated, stamped version, and who wrote it (for the Subscriptions' changes). */
export interface CreateToWrite {
  row: ResourceVersionRow;
  resource: WithId<Resource>;
  index?: SearchIndexRows;
  caller: Caller | undefined;
}

/**
 * How one create went: `written` (committed, notifications sent), or `alone` (nothing was written: the creates it was
 * grouped with must be tried one by one, or a guard of a lone create failed and it takes the transactional path).
 */
export type CreateOutcome = 'written' | 'alone';

/** Statements of grouped creates in flight at once per pool; later creates wait and form the next group. */
export const GROUPED_CREATE_STATEMENTS = 2;

/** At most this many creates per statement (its parameters and its time stay bounded). */
export const MAX_GROUPED_CREATES = 50;

/**
 * The longest a create waits for a statement in flight to finish. After it, the waiting creates go in a statement of
 * their own, beyond GROUPED_CREATE_STATEMENTS (the pool still bounds the connections): a statement stuck behind a lock
 * or a slow disk delays the creates behind it by this much, not until it ends. The alert target is 100 ms from a
 * reading's commit; under load a group's statement takes 10–40 ms, so this is seldom reached.
 */
export const MAX_GROUP_WAIT_MS = 100;

/**
 * Writes creates in ONE autocommitted statement: their current rows, history, search indexes and the jobs they
 * trigger, with the reference check and the currency of the cached Subscriptions as guards read in the statement's own
 * snapshot (StatementBatch.addGuard). `alone` when a guard failed or no Subscriptions are loaded yet: nothing was
 * written. Any other failure rejects (nothing was written either: it is one statement).
 */
export async function writeCreatesInOneStatement(pool: Db, creates: readonly CreateToWrite[]): Promise<CreateOutcome> {
  const triggers = writeTriggersOf(pool);
  const generation = triggers?.cachedGeneration();
  if (triggers && generation === undefined) {
    return 'alone';
  }
  const statements = new StatementBatch();
  addResourceVersionWrites(
    statements,
    creates.map((c) => c.row)
  );
  addSearchIndexInserts(
    statements,
    creates.flatMap((c) => (c.index ? [c.index] : []))
  );
  addReferenceTargetsGuard(
    statements,
    creates.map((c) => c.resource)
  );
  const afterCommit: (() => void)[] = [];
  if (triggers && generation !== undefined) {
    const jobs: JobSpec[] = [];
    for (const create of creates) {
      const written = [{ resource: create.resource, interaction: create.row.operation }];
      const planned = await triggers.planWrite(pool, written, create.caller, { generation });
      jobs.push(...planned.jobs);
      if (planned.afterCommit) {
        afterCommit.push(planned.afterCommit);
      }
    }
    triggers.addJobs(statements, jobs);
    triggers.addGenerationGuard(statements, generation);
  }
  try {
    await statements.run(pool);
  } catch (err) {
    if (isWriteGuardFailure(err)) {
      return 'alone';
    }
    throw toOperationOutcomeError(err);
  }
  for (const notify of afterCommit) {
    notify();
  }
  return 'written';
}

interface Waiting {
  create: CreateToWrite;
  settle: (outcome: Promise<CreateOutcome>) => void;
  /** When it began to wait (performance.now()). */
  since: number;
}

/**
 * Group commit for single creates (a device's POST Observation): a create is written at once when fewer than
 * GROUPED_CREATE_STATEMENTS statements are in flight, else it waits for one to finish and goes with every create that
 * arrived meanwhile. An idle server adds no wait; a busy one pays one statement, one commit and one round trip per
 * group instead of per reading. No create waits longer than MAX_GROUP_WAIT_MS for a place. Each caller still gets its
 * answer only after its own create committed.
 */
export class GroupedCreates {
  private readonly waiting: Waiting[] = [];
  private inFlight = 0;
  private overdueTimer: NodeJS.Timeout | undefined;

  private readonly pool: Db;

  constructor(pool: Db) {
    this.pool = pool;
  }

  /** Writes `create`, grouped with others when they wait together; `alone` as writeCreatesInOneStatement says. */
  write(create: CreateToWrite): Promise<CreateOutcome> {
    return new Promise<CreateOutcome>((resolve, reject) => {
      this.waiting.push({ create, settle: (outcome) => outcome.then(resolve, reject), since: performance.now() });
      this.startGroups();
    });
  }

  /** Statements of grouped creates being written now (beyond GROUPED_CREATE_STATEMENTS only after a long wait). */
  get statementsWriting(): number {
    return this.inFlight;
  }

  private startGroups(): void {
    while (this.inFlight < GROUPED_CREATE_STATEMENTS && this.waiting.length > 0) {
      this.startGroup();
    }
    this.watchTheOldest();
  }

  private startGroup(): void {
    const group = this.waiting.splice(0, MAX_GROUPED_CREATES);
    this.inFlight++;
    void this.writeGroup(group).finally(() => {
      this.inFlight--;
      this.startGroups();
    });
  }

  /** Arms a timer for when the oldest waiting create has waited MAX_GROUP_WAIT_MS: then its group goes regardless. */
  private watchTheOldest(): void {
    if (this.overdueTimer || this.waiting.length === 0) {
      return;
    }
    const dueIn = Math.max(0, this.waiting[0].since + MAX_GROUP_WAIT_MS - performance.now());
    this.overdueTimer = setTimeout(() => {
      this.overdueTimer = undefined;
      if (this.waiting.length > 0 && performance.now() - this.waiting[0].since >= MAX_GROUP_WAIT_MS - 1) {
        this.startGroup();
      }
      this.watchTheOldest();
    }, dueIn);
    this.overdueTimer.unref();
  }

  /**
   * One statement for the group. When it is refused (a guard failed for one create, or the Subscriptions changed),
   * nothing was written and each create is tried again alone, so one bad reference never fails another caller's write.
   */
  private async writeGroup(group: Waiting[]): Promise<void> {
    const together = writeCreatesInOneStatement(
      this.pool,
      group.map((w) => w.create)
    );
    if (group.length === 1) {
      group[0].settle(together);
      await together.catch(() => undefined);
      return;
    }
    const outcome = await together.then(
      (o) => o,
      () => 'alone' as const // e.g. a value PostgreSQL refuses in one create: find out whose, one by one
    );
    for (const waiting of group) {
      waiting.settle(
        outcome === 'written' ? Promise.resolve('written') : writeCreatesInOneStatement(this.pool, [waiting.create])
      );
    }
  }
}

const groups = new WeakMap<Db, GroupedCreates>();

/** The pool's group commit for creates (one per pool, so per server instance). */
export function groupedCreatesOf(pool: Db): GroupedCreates {
  let grouped = groups.get(pool);
  if (!grouped) {
    grouped = new GroupedCreates(pool);
    groups.set(pool, grouped);
  }
  return grouped;
}
