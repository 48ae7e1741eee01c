// Triggered runs of one bot that wait at the same time become one run whose input is a collection Bundle of them.
import type { Bundle, Resource } from '@medplum/fhirtypes';
import type { BotRunResult } from './botWorkerPool.ts';

/** One trigger's share of a batched run: the run's result, and how many triggers the run had. */
export interface BatchedRunResult<Note = unknown> {
  result: BotRunResult;
  batchOf: number;
  /**
   * For the first trigger of a run of two or more (its leader), the notes every trigger of the run was given, in
   * order: what the leader needs to record the run once for all of them. Absent for the others and for a run alone.
   */
  notes?: Note[];
}

/** Runs one input, or (for two or more) a collection Bundle of inputs. */
export type RunBotInput = (input: Resource) => Promise<BotRunResult>;

interface Waiting<Note> {
  input: Resource;
  note: Note;
  resolve: (outcome: BatchedRunResult<Note>) => void;
}

interface Group<Note> {
  waiting: Waiting<Note>[];
  running: number;
  scheduled: boolean;
}

/** The input of a batched run: the triggering versions in the order they were queued. */
export function collectionOf(inputs: Resource[]): Bundle {
  return { resourceType: 'Bundle', type: 'collection', entry: inputs.map((resource) => ({ resource })) };
}

/**
 * At most `parallel` runs of a bot are in progress at once; triggers arriving meanwhile wait and go together into
 * the next run (up to the bot's batch size). So when readings are few each still runs at once, alone, and under load
 * the runs grow instead of queueing: a run's fixed costs (its searches, its token, the worker round trip) are shared.
 *
 * A batched run that fails is not retried as a batch: each of its triggers runs again alone at once, so one input a
 * bot cannot handle fails only its own job (and is retried and dead-lettered alone), never its neighbours'.
 */
export class BotRunBatches<Note = undefined> {
  private readonly groups = new Map<string, Group<Note>>();
  private readonly parallel: number;

  constructor(parallel: number) {
    this.parallel = Math.max(1, parallel);
  }

  /** Runs `input` in the next run of `key` with room; `note` (the trigger's own facts) goes to the run's leader. */
  run(
    key: string,
    maxSize: number,
    input: Resource,
    runInput: RunBotInput,
    note?: Note
  ): Promise<BatchedRunResult<Note>> {
    let group = this.groups.get(key);
    if (!group) {
      group = { waiting: [], running: 0, scheduled: false };
      this.groups.set(key, group);
    }
    const outcome = new Promise<BatchedRunResult<Note>>((resolve) =>
      group.waiting.push({ input, note: note as Note, resolve })
    );
    if (!group.scheduled && group.running < this.parallel) {
      // Jobs the queue hands out together arrive in the same turn of the event loop: let them all join.
      group.scheduled = true;
      setImmediate(() => {
        group.scheduled = false;
        this.start(key, group, maxSize, runInput);
      });
    }
    return outcome;
  }

  private start(key: string, group: Group<Note>, maxSize: number, runInput: RunBotInput): void {
    while (group.running < this.parallel && group.waiting.length > 0) {
      const batch = group.waiting.splice(0, maxSize);
      group.running++;
      void runBatch(batch, runInput).finally(() => {
        group.running--;
        if (group.waiting.length > 0) {
          this.start(key, group, maxSize, runInput);
        } else if (group.running === 0) {
          this.groups.delete(key);
        }
      });
    }
  }
}

/** A run that could not even start (its code or token could not be had) fails like a bot would, never hangs. */
function safely(runInput: RunBotInput): RunBotInput {
  return (input) =>
    runInput(input).catch((err: unknown) => ({
      ok: false,
      error: err instanceof Error ? err.message : String(err),
      logs: [],
      durationMs: 0,
    }));
}

async function runBatch<Note>(batch: Waiting<Note>[], unsafeRunInput: RunBotInput): Promise<void> {
  const runInput = safely(unsafeRunInput);
  if (batch.length === 1) {
    batch[0].resolve({ result: await runInput(batch[0].input), batchOf: 1 });
    return;
  }
  const result = await runInput(collectionOf(batch.map((w) => w.input)));
  if (result.ok) {
    const notes = batch.map((w) => w.note);
    for (const [i, waiting] of batch.entries()) {
      waiting.resolve({ result, batchOf: batch.length, ...(i === 0 ? { notes } : {}) });
    }
    return;
  }
  await Promise.all(
    batch.map(async (waiting) => waiting.resolve({ result: await runInput(waiting.input), batchOf: 1 }))
  );
}
