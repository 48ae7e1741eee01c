// Collects data-modifying statements and sends them as one (data-modifying CTEs): a batch of writes costs one round trip.
import type { Queryable } from './pool.ts';
import { preparedWrites } from './preparedStatements.ts';

/** SQLSTATE raised by `rpm_write_guard` (migration 009) when a batch's precondition no longer holds. */
export const WRITE_GUARD_FAILED = 'RPM01';

/** True for the error of a batch whose guard failed: nothing of it was written. */
export function isWriteGuardFailure(err: unknown): boolean {
  return (err as { code?: unknown } | undefined)?.code === WRITE_GUARD_FAILED;
}

/**
 * Statements with `$n` placeholders numbered across the whole batch. All of them run in one statement, so they see
 * the same snapshot: a DELETE in the batch never removes rows an INSERT in the same batch adds.
 */
export class StatementBatch {
  private readonly statements: string[] = [];
  /** Indexes of SELECT statements (calls of functions that write): PostgreSQL runs them only when referenced. */
  private readonly selects: number[] = [];
  /** Preconditions (boolean expressions), checked in the statement's own snapshot. */
  private readonly guards: string[] = [];
  readonly values: unknown[] = [];

  /** Adds an INSERT, UPDATE or DELETE; `sql` gets the number of its first placeholder. */
  add(sql: (first: number) => string, values: unknown[]): void {
    this.statements.push(sql(this.values.length + 1));
    this.values.push(...values);
  }

  /** Adds a SELECT that calls a function which writes (e.g. adding jobs); it runs with the rest. */
  addSelect(sql: (first: number) => string, values: unknown[]): void {
    this.selects.push(this.statements.length);
    this.add(sql, values);
  }

  /**
   * Adds a precondition: a boolean expression, read in the same snapshot as the writes. When it is not true the whole
   * statement fails with WRITE_GUARD_FAILED and nothing is written (run it outside a transaction, or roll back).
   */
  addGuard(sql: (first: number) => string, values: unknown[]): void {
    this.guards.push(sql(this.values.length + 1));
    this.values.push(...values);
  }

  get size(): number {
    return this.statements.length;
  }

  /** Sends every statement in one round trip; nothing when empty. */
  async run(db: Queryable): Promise<void> {
    if (this.statements.length === 0) {
      return;
    }
    let text = this.statements[0];
    if (this.statements.length > 1 || this.guards.length > 0) {
      const ctes = this.statements.map((s, i) => `s${i} AS (${s})`).join(', ');
      const selected = this.selects.map((i) => `(SELECT count(*) FROM s${i})`);
      // The main SELECT is always evaluated, so a guard that raises aborts the data-modifying CTEs with it.
      const guarded = this.guards.map((g) => `rpm_write_guard(${g})`);
      text = `WITH ${ctes} SELECT ${['1', ...selected, ...guarded].join(', ')}`;
    }
    // The same shapes of writes recur (one per resource type and index tables used): prepared on each connection.
    await db.query({ text, values: this.values, name: preparedWrites.nameFor(text) });
  }
}
