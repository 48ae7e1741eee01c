// Runs a scan's tasks a few at a time, the most urgent waiting task first; a failure stops new starts and is thrown.

/** A waiting task: lower `urgency` starts first; among equals, the one added first. */
interface Waiting {
  urgency: number;
  order: number;
  task: () => Promise<void>;
}

/**
 * A small work queue for one bot run: at most `limit` tasks run at once, and whenever a place frees the most urgent
 * waiting task takes it. A running task may add tasks (a look-up adding the check it found due). Tasks added with
 * `addLast` start only when no other task is waiting or running. Once a task has failed, none starts any more;
 * `finished` then waits for the running ones and throws the first failure, so a failed run leaves nothing writing
 * behind it.
 */
export class UrgentFirst {
  private readonly waiting: Waiting[] = [];
  private readonly last: (() => Promise<void>)[] = [];
  /** Tasks added with `add` running now, and tasks added with `addLast`. */
  private running = 0;
  private runningLast = 0;
  private added = 0;
  private failure: { error: unknown } | undefined;
  private readonly whenIdle: (() => void)[] = [];
  private readonly limit: number;

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Whether a task has failed (the caller can stop producing work). */
  get failed(): boolean {
    return this.failure !== undefined;
  }

  /** Queues `task`; it starts as soon as a place is free and nothing more urgent waits. */
  add(urgency: number, task: () => Promise<void>): void {
    if (this.failure) {
      return;
    }
    const item = { urgency, order: this.added++, task };
    const at = this.waiting.findIndex((w) => w.urgency > urgency);
    this.waiting.splice(at < 0 ? this.waiting.length : at, 0, item);
    this.startWhatFits();
  }

  /** Queues `task` behind everything: it starts once no task added with `add` is waiting or running. */
  addLast(task: () => Promise<void>): void {
    if (this.failure) {
      return;
    }
    this.last.push(task);
    this.startWhatFits();
  }

  /** Resolves when every task (including those added meanwhile) has run; throws the first failure instead. */
  async finished(): Promise<void> {
    if (!this.idle()) {
      await new Promise<void>((resolve) => this.whenIdle.push(resolve));
    }
    if (this.failure) {
      throw this.failure.error;
    }
  }

  private idle(): boolean {
    return (
      this.running + this.runningLast === 0 &&
      (this.failure !== undefined || this.waiting.length + this.last.length === 0)
    );
  }

  private startWhatFits(): void {
    while (this.running + this.runningLast < this.limit && !this.failure) {
      const urgent = this.waiting.shift();
      if (urgent) {
        this.running++;
        this.start(urgent.task, () => this.running--);
        continue;
      }
      const last = this.running === 0 ? this.last.shift() : undefined;
      if (!last) {
        return;
      }
      this.runningLast++;
      this.start(last, () => this.runningLast--);
    }
  }

  private start(task: () => Promise<void>, done: () => void): void {
    void Promise.resolve()
      .then(task)
      .catch((error: unknown) => {
        this.failure ??= { error };
      })
      .finally(() => {
        done();
        this.startWhatFits();
        if (this.idle()) {
          this.whenIdle.splice(0).forEach((resolve) => resolve());
        }
      });
  }
}
