// Reads of single stored versions asked for in the same turn of the event loop go to PostgreSQL as one query.
import type { Resource } from '@medplum/fhirtypes';
import type { Queryable } from '../db/pool.ts';
import { loadVersions, type ResourceChange } from './loadVersions.ts';

interface Waiting {
  change: ResourceChange;
  resolve: (resource: Resource | undefined) => void;
  reject: (err: unknown) => void;
}

/** Most versions one query reads (a larger turn is split). */
const MAX_PER_QUERY = 500;

/**
 * The job queue hands out jobs together (a batch of a bot's triggers finishes, and its workers take the next ones in
 * the same turn), and each job reads the version that triggered it: read together, that is one statement for the
 * turn instead of one per job (at 500 readings/s, about 500 statements a second fewer).
 */
export class BatchedVersionReads {
  private waiting: Waiting[] = [];
  private readonly db: Queryable;

  constructor(db: Queryable) {
    this.db = db;
  }

  /** The stored version, or undefined when it does not exist. Rejects (every read of the turn) if the query fails. */
  read(change: ResourceChange): Promise<Resource | undefined> {
    return new Promise((resolve, reject) => {
      if (this.waiting.length === 0) {
        setImmediate(() => void this.flush());
      }
      this.waiting.push({ change, resolve, reject });
    });
  }

  private async flush(): Promise<void> {
    const turn = this.waiting;
    this.waiting = [];
    for (let start = 0; start < turn.length; start += MAX_PER_QUERY) {
      const slice = turn.slice(start, start + MAX_PER_QUERY);
      try {
        const found = await loadVersions(
          this.db,
          slice.map((w) => w.change)
        );
        for (const w of slice) {
          w.resolve(found.get(w.change.slice(0, 3).join('/')));
        }
      } catch (err) {
        for (const w of slice) {
          w.reject(err);
        }
      }
    }
  }
}
