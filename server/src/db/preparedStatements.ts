// Names the write statements that recur, so each connection parses and plans them once instead of on every write.
import { createHash } from 'node:crypto';

/** A statement text is prepared once it has been sent this many times (rare shapes stay one-off statements). */
export const PREPARE_AFTER_USES = 3;

/** At most this many texts are prepared per process (on each pooled connection that sends them). */
export const MAX_PREPARED_TEXTS = 200;

/** At most this many not yet prepared texts are counted; beyond it the counts start again. */
const MAX_COUNTED_TEXTS = 2_000;

/**
 * Which statement texts to send as named (prepared) statements. A resource write is one statement of data-modifying
 * CTEs (statementBatch.ts) whose text depends only on the resource's shape: which index tables get rows, whether it
 * adds jobs. PostgreSQL parsed and planned its 1.7 kB every time: an Observation write cost 2.2 ms, 1.1 ms prepared
 * (in a rolled-back transaction, one connection). A prepared statement lives on its connection until the connection
 * closes, so only texts seen repeatedly are named, and at most MAX_PREPARED_TEXTS of them: memory stays bounded
 * whatever shapes arrive. Searches are not named: their plans depend on the values (a patient's range or everyone's).
 */
export class PreparedStatements {
  private readonly named = new Map<string, string>();
  private readonly uses = new Map<string, number>();

  /** The name to send `text` under, or undefined to send it unnamed. */
  nameFor(text: string): string | undefined {
    const name = this.named.get(text);
    if (name !== undefined || this.named.size >= MAX_PREPARED_TEXTS) {
      return name;
    }
    const uses = (this.uses.get(text) ?? 0) + 1;
    if (uses < PREPARE_AFTER_USES) {
      if (this.uses.size >= MAX_COUNTED_TEXTS) {
        this.uses.clear();
      }
      this.uses.set(text, uses);
      return undefined;
    }
    this.uses.delete(text);
    const created = `rpm_${createHash('sha256').update(text).digest('base64url').slice(0, 32)}`;
    this.named.set(text, created);
    return created;
  }

  /** How many texts are prepared (for tests and diagnostics). */
  get size(): number {
    return this.named.size;
  }
}

/** The process's write statements. */
export const preparedWrites = new PreparedStatements();
