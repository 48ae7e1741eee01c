// Collects the values of a parameterised SQL statement; every value reaches PostgreSQL as a typed $n placeholder.

/** SQL casts a placeholder may carry (a fixed whitelist). */
export type SqlType = 'text' | 'text[]' | 'numeric' | 'timestamptz' | 'int4' | 'int8' | 'int8[]';

export class SqlParams {
  readonly values: unknown[] = [];
  private readonly memo = new Map<string, string>();
  private aliases = 0;

  /** A table alias unique within the statement, so nested subqueries never shadow each other. */
  alias(prefix: string): string {
    this.aliases++;
    return `${prefix}${this.aliases}`;
  }

  /** Arrays already added, by identity: a long list used in many places of a statement is sent once. */
  private readonly arrays = new Map<unknown[], string>();

  /**
   * The placeholder for a value, e.g. "$3::text"; equal string values of one type share a placeholder, and so do
   * additions of the very same array.
   */
  add(value: unknown, type: SqlType): string {
    if (Array.isArray(value)) {
      const existing = this.arrays.get(value);
      if (existing?.endsWith(`::${type}`)) {
        return existing;
      }
      const placeholder = this.push(value, type);
      this.arrays.set(value, placeholder);
      return placeholder;
    }
    const key = typeof value === 'string' || typeof value === 'number' ? `${type}\0${value}` : undefined;
    if (key !== undefined) {
      const existing = this.memo.get(key);
      if (existing) {
        return existing;
      }
    }
    const placeholder = this.push(value, type);
    if (key !== undefined) {
      this.memo.set(key, placeholder);
    }
    return placeholder;
  }

  private push(value: unknown, type: SqlType): string {
    this.values.push(value);
    return `$${this.values.length}::${type}`;
  }
}

/** SQL expressions for the resource a condition is tested on. */
export interface RowRef {
  /** The resource id. */
  id: string;
  /** resource.last_updated, when the row comes from the resource table itself. */
  lastUpdated?: string;
}

/**
 * The same statement's parameters, each value added through it hidden from the planner as `(SELECT $n::type)`: an
 * InitPlan, evaluated once before the scan and still usable as an index bound, whose value PostgreSQL does not know
 * when it picks the plan, so it assumes a third of the rows for a range instead of estimating from its statistics.
 * Used for date bounds, whose estimates are wrong exactly where RPM searches look: readings newer than the last
 * ANALYZE lie beyond its histogram, so `high >= <an hour ago>` is estimated at about one row, and PostgreSQL then
 * scanned every patient's recent readings through (type, param, high) instead of one patient's through the
 * compartment or per-resource index (search_date, see README.md).
 */
export function hideValues(p: SqlParams): SqlParams {
  const view = Object.create(p) as SqlParams;
  view.add = (value, type) => `(SELECT ${p.add(value, type)})`;
  view.alias = (prefix) => p.alias(prefix);
  return view;
}
