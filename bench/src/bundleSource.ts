// Pulls prepared Observation bundles from the generator worker, keeping a bounded number ready ahead of the senders.
import { Worker } from 'node:worker_threads';
import type { BundleWorkerInput, BundleWorkerReply, PreparedBundle } from './bundleWorker.ts';

const BATCH = 16;
const READY_LOW_WATER = 32;

export class BundleSource {
  private readonly worker: Worker;
  private readonly queue: PreparedBundle[] = [];
  private waiters: (() => void)[] = [];
  private pulling = false;
  private exhausted = false;
  private failure: Error | undefined;
  private primed: Promise<void>;
  private markPrimed: () => void = () => undefined;
  /** Total time senders waited for the generator: near zero when generation is not the bottleneck. */
  stallMs = 0;

  constructor(input: BundleWorkerInput) {
    this.primed = new Promise<void>((resolve) => {
      this.markPrimed = resolve;
    });
    this.worker = new Worker(new URL('./bundleWorker.ts', import.meta.url), { workerData: input });
    this.worker.on('message', (reply: BundleWorkerReply) => {
      this.pulling = false;
      this.queue.push(...reply.bundles);
      this.exhausted = reply.done;
      this.markPrimed();
      this.wake();
      this.refill();
    });
    this.worker.on('error', (err) => {
      this.failure = err;
      this.markPrimed();
      this.wake();
    });
    this.worker.on('exit', (code) => {
      if (!this.exhausted && !this.failure) {
        this.failure = new Error(`bundle generator worker exited early (code ${code})`);
        this.markPrimed();
        this.wake();
      }
    });
    this.refill();
  }

  /** Resolves once the worker has started and delivered its first bundles (so start-up is not timed). */
  async ready(): Promise<void> {
    await this.primed;
    if (this.failure) {
      throw this.failure;
    }
  }

  /** The next bundle, or undefined when all have been handed out. */
  async next(): Promise<PreparedBundle | undefined> {
    const started = performance.now();
    let waited = false;
    while (this.queue.length === 0 && !this.exhausted) {
      if (this.failure) {
        throw this.failure;
      }
      waited = true;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    if (waited) {
      this.stallMs += performance.now() - started;
    }
    const bundle = this.queue.shift();
    this.refill();
    return bundle;
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }

  private refill(): void {
    if (!this.pulling && !this.exhausted && this.queue.length < READY_LOW_WATER) {
      this.pulling = true;
      this.worker.postMessage({ type: 'pull', count: BATCH });
    }
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) {
      resolve();
    }
  }
}
