// A pool of worker threads running bots outside the request path, each run with a time limit and a heap limit.
import { Worker } from 'node:worker_threads';
import type { BotEvent } from '@medplum/core';
import type { BotResultMessage, BotRunMessage } from './botWorker.ts';

export interface BotPoolOptions {
  workers: number;
  /** Heap limit of each worker thread (V8 old generation), MB. */
  memoryMb: number;
}

export interface BotRun {
  codeUrl: string;
  event: BotEvent;
  accessToken: string;
  baseUrl: string;
  timeoutMs: number;
}

export interface BotRunResult {
  ok: boolean;
  /** The run never finished through no fault of its own (its worker was replaced): run it again at once. */
  interrupted?: boolean;
  returnValue?: unknown;
  error?: string;
  logs: string[];
  durationMs: number;
}

interface Pending {
  resolve: (result: BotRunResult) => void;
  timer: NodeJS.Timeout;
  started: number;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
}

const WORKER_URL = new URL('./botWorker.ts', import.meta.url);

/**
 * Bots are code an administrator deployed, run in worker threads with no environment variables (no secrets), a
 * heap limit and a time limit. A run over its time, or a worker out of memory, ends that worker: its other runs
 * fail (and are retried by the job queue) and a fresh worker takes its place. This bounds a misbehaving bot; it is
 * not a sandbox for untrusted code (a bot can still use Node's APIs).
 */
export class BotWorkerPool {
  private readonly slots: Slot[] = [];
  private nextRunId = 1;
  private closed = false;

  private readonly options: BotPoolOptions;

  constructor(options: BotPoolOptions) {
    this.options = options;
    for (let i = 0; i < options.workers; i++) {
      this.slots.push(this.startSlot());
    }
  }

  private startSlot(): Slot {
    const worker = new Worker(WORKER_URL, {
      env: {},
      resourceLimits: { maxOldGenerationSizeMb: this.options.memoryMb, maxYoungGenerationSizeMb: 16 },
    });
    const slot: Slot = { worker, pending: new Map() };
    worker.on('message', (message: BotResultMessage) => {
      const pending = slot.pending.get(message.runId);
      if (pending) {
        slot.pending.delete(message.runId);
        clearTimeout(pending.timer);
        pending.resolve({
          ok: message.ok,
          returnValue: message.returnValue,
          error: message.error,
          logs: message.logs,
          durationMs: Date.now() - pending.started,
        });
      }
    });
    worker.on('error', (err) => {
      const reason =
        (err as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? `Bot worker ran out of memory (limit ${this.options.memoryMb} MB)`
          : `Bot worker failed: ${err.message}`;
      this.replace(slot, reason);
    });
    worker.on('exit', () => this.replace(slot, 'Bot worker stopped'));
    worker.unref();
    return slot;
  }

  /** Fails the slot's runs with `reason` and starts a new worker in its place. */
  private replace(slot: Slot, reason: string): void {
    const index = this.slots.indexOf(slot);
    if (index < 0) {
      return;
    }
    for (const [, pending] of slot.pending) {
      clearTimeout(pending.timer);
      pending.resolve({
        ok: false,
        interrupted: true,
        error: reason,
        logs: [],
        durationMs: Date.now() - pending.started,
      });
    }
    slot.pending.clear();
    if (this.closed) {
      this.slots.splice(index, 1);
      return;
    }
    this.slots[index] = this.startSlot();
    void slot.worker.terminate();
  }

  /** Runs a bot on the least busy worker; never rejects (a failure is a result with ok false). */
  run(request: BotRun): Promise<BotRunResult> {
    if (this.closed) {
      return Promise.resolve({ ok: false, error: 'The bot runtime is stopping', logs: [], durationMs: 0 });
    }
    const slot = this.slots.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const runId = this.nextRunId++;
    return new Promise((resolve) => {
      const started = Date.now();
      const timer = setTimeout(() => {
        slot.pending.delete(runId);
        resolve({
          ok: false,
          error: `Timed out after ${request.timeoutMs} ms`,
          logs: [],
          durationMs: Date.now() - started,
        });
        this.replace(slot, 'Stopped: another bot on the same worker ran over its time limit');
      }, request.timeoutMs);
      slot.pending.set(runId, { resolve, timer, started });
      const message: BotRunMessage = {
        type: 'run',
        runId,
        codeUrl: request.codeUrl,
        event: request.event,
        accessToken: request.accessToken,
        baseUrl: request.baseUrl,
      };
      slot.worker.postMessage(message);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const slots = this.slots.splice(0);
    for (const slot of slots) {
      for (const [, pending] of slot.pending) {
        clearTimeout(pending.timer);
        pending.resolve({ ok: false, error: 'The bot runtime is stopping', logs: [], durationMs: 0 });
      }
      slot.pending.clear();
      await slot.worker.terminate();
    }
  }
}
