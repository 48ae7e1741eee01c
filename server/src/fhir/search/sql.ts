// Collects the values of a parameterised SQL statement; every value reaches PostgreSQL as a typed $n placeholder.

/** SQL casts a placeholder may carry (a fixed whitelist). */
export type SqlType = 'text' | 'text[]' | 'numeric' | 'timestamptz' | 'int4' | 'int8';

export class SqlParams {
  readonly values: unknown[] = [];
  private readonly memo = new Map<string, string>();
  private aliases = 0;

  /** A table alias unique within the statement, so nested subqueries never shadow each other. */
  alias(prefix: string): string {
    this.aliases++;
    return `${prefix}${this.aliases}`;
  }

  /** The placeholder for a value, e.g. "$3::text"; equal string values of one type share a placeholder. */
  add(value: unknown, type: SqlType): string {
    const key = typeof value === 'string' || typeof value === 'number' ? `${type}\0${value}` : undefined;
    if (key !== undefined) {
      const existing = this.memo.get(key);
      if (existing) {
        return existing;
      }
    }
    this.values.push(value);
    const placeholder = `$${this.values.length}::${type}`;
    if (key !== undefined) {
      this.memo.set(key, placeholder);
    }
    return placeholder;
  }
}

/** SQL expressions for the resource a condition is tested on. */
export interface RowRef {
  /** The resource id. */
  id: string;
  /** resource.last_updated, when the row comes from the resource table itself. */
  lastUpdated?: string;
}
