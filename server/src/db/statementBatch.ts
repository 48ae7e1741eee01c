// Collects data-modifying statements and sends them as one (data-modifying CTEs): a batch of writes costs one round trip.
import type { Queryable } from './pool.ts';
import { preparedWrites } from './preparedStatements.ts';

/**
 * Statements with `$n` placeholders numbered across the whole batch. All of them run in one statement, so they see
 * the same snapshot: a DELETE in the batch never removes rows an INSERT in the same batch adds.
 */
export class StatementBatch {
  private readonly statements: string[] = [];
  /** Indexes of SELECT statements (calls of functions that write): PostgreSQL runs them only when referenced. */
  private readonly selects: number[] = [];
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

  get size(): number {
    return this.statements.length;
  }

  /** Sends every statement in one round trip; nothing when empty. */
  async run(db: Queryable): Promise<void> {
    if (this.statements.length === 0) {
      return;
    }
    let text = this.statements[0];
    if (this.statements.length > 1) {
      const ctes = this.statements.map((s, i) => `s${i} AS (${s})`).join(', ');
      const selected = this.selects.map((i) => `(SELECT count(*) FROM s${i})`);
      text = `WITH ${ctes} SELECT ${['1', ...selected].join(', ')}`;
    }
    // The same shapes of writes recur (one per resource type and index tables used): prepared on each connection.
    await db.query({ text, values: this.values, name: preparedWrites.nameFor(text) });
  }
}
