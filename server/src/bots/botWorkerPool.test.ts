// The bot worker pool on its own: results, per-run logs, errors, time and heap limits, recovery, no environment.
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BotEvent } from '@medplum/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BotWorkerPool, type BotRun } from './botWorkerPool.ts';

let dir: string;
const pools: BotWorkerPool[] = [];

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rpm-bot-pool-test-'));
});
afterAll(async () => {
  for (const pool of pools) {
    await pool.close();
  }
  await fs.rm(dir, { recursive: true, force: true });
});

function newPool(workers: number, memoryMb = 64): BotWorkerPool {
  const pool = new BotWorkerPool({ workers, memoryMb });
  pools.push(pool);
  return pool;
}

/** Writes an ES module to the temp dir (a new file each time: workers cache modules by URL) and returns its URL. */
async function botModule(source: string): Promise<string> {
  const file = path.join(dir, `${crypto.randomUUID()}.mjs`);
  await fs.writeFile(file, source);
  return pathToFileURL(file).href;
}

const event = (input: unknown): BotEvent => ({
  bot: { reference: 'Bot/test' },
  contentType: 'application/fhir+json',
  input,
  secrets: {},
});

/** A run whose MedplumClient points nowhere: these handlers never use it. */
function request(codeUrl: string, input: unknown = { resourceType: 'Patient', id: 'p1' }, timeoutMs = 5_000): BotRun {
  return { codeUrl, event: event(input), accessToken: 'unused-token', baseUrl: 'http://127.0.0.1:9/', timeoutMs };
}

const ECHO = `export async function handler(medplum, event) {
  return { got: event.input.id, bot: event.bot.reference, hasClient: typeof medplum.createResource === 'function' };
}`;

describe('BotWorkerPool', () => {
  test("a handler's return value comes back, with its duration", async () => {
    const pool = newPool(1);
    const result = await pool.run(request(await botModule(ECHO)));
    expect(result.ok).toBe(true);
    expect(result.error).toBeUndefined();
    expect(result.returnValue).toEqual({ got: 'p1', bot: 'Bot/test', hasClient: true });
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    expect(result.logs).toEqual([]);
  });

  test('console output is captured per run: two overlapping runs on one worker keep their own logs', async () => {
    const pool = newPool(1);
    const codeUrl = await botModule(`export async function handler(medplum, event) {
      const name = event.input.id;
      console.log('start', name);
      await new Promise((r) => setTimeout(r, event.input.delay));
      console.warn('warned', name, { n: 1 });
      console.error('end %s', name);
      return name;
    }`);
    const [a, b] = await Promise.all([
      pool.run(request(codeUrl, { resourceType: 'Patient', id: 'a', delay: 300 })),
      pool.run(request(codeUrl, { resourceType: 'Patient', id: 'b', delay: 50 })),
    ]);
    expect(a.ok && b.ok).toBe(true);
    expect(a.returnValue).toBe('a');
    expect(a.logs).toEqual(['start a', 'warned a { n: 1 }', 'end a']);
    expect(b.returnValue).toBe('b');
    expect(b.logs).toEqual(['start b', 'warned b { n: 1 }', 'end b']);
  });

  test('a throwing handler gives ok false with its message and the logs before it', async () => {
    const pool = newPool(1);
    const result = await pool.run(
      request(
        await botModule(`export async function handler() {
          console.log('about to fail');
          throw new Error('threshold table missing');
        }`)
      )
    );
    expect(result.ok).toBe(false);
    expect(result.error).toBe('threshold table missing');
    expect(result.logs).toEqual(['about to fail']);
  });

  test('a module without a handler, or one that does not load, is a clear error', async () => {
    const pool = newPool(1);
    const noHandler = await pool.run(request(await botModule(`export const notTheHandler = () => 1;`)));
    expect(noHandler.ok).toBe(false);
    expect(noHandler.error).toBe('The bot code does not export a handler function');
    const broken = await pool.run(request(await botModule(`export async function handler( {`)));
    expect(broken.ok).toBe(false);
    expect(broken.error).toMatch(/SyntaxError|Unexpected/i);
    // The worker is fine afterwards.
    expect((await pool.run(request(await botModule(ECHO)))).ok).toBe(true);
  });

  test('an infinite loop times out, and the pool keeps working afterwards', async () => {
    const pool = newPool(1);
    const loop = await botModule(`export function handler() { while (true) {} }`);
    const started = Date.now();
    const result = await pool.run(request(loop, undefined, 300));
    expect(result.ok).toBe(false);
    expect(result.error).toBe('Timed out after 300 ms');
    expect(Date.now() - started).toBeLessThan(5_000);
    // The looping worker was replaced: the next runs succeed.
    const next = await pool.run(request(await botModule(ECHO)));
    expect(next.ok).toBe(true);
    expect(next.returnValue).toMatchObject({ got: 'p1' });
  });

  test("a run stuck behind another's infinite loop on the same worker fails too instead of hanging", async () => {
    const pool = newPool(1);
    const slow = await botModule(`export async function handler() {
      await new Promise((r) => setTimeout(r, 200));
      return 'slow done';
    }`);
    const loop = await botModule(`export function handler() { while (true) {} }`);
    const [looping, waiting] = await Promise.all([
      pool.run(request(loop, undefined, 300)),
      pool.run(request(slow, undefined, 5_000)),
    ]);
    expect(looping.error).toBe('Timed out after 300 ms');
    expect(waiting.ok).toBe(false);
    expect(waiting.error).toMatch(/another bot on the same worker ran over its time limit/);
    expect((await pool.run(request(slow))).returnValue).toBe('slow done');
  });

  test('unbounded allocation hits the heap limit, and the pool recovers', async () => {
    const pool = newPool(1, 32);
    const hog = await botModule(`export function handler() {
      const kept = [];
      for (;;) kept.push(new Array(100_000).fill({ x: Math.random() }).map((o) => ({ ...o })));
    }`);
    const result = await pool.run(request(hog, undefined, 20_000));
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/memory/i);
    expect(result.error).toContain('32 MB');
    const next = await pool.run(request(await botModule(ECHO)));
    expect(next.ok).toBe(true);
  }, 30_000);

  test('a bot ending its thread or throwing outside the run fails the run, and a fresh worker takes over', async () => {
    const pool = newPool(1);
    const exits = await pool.run(request(await botModule(`export function handler() { process.exit(3); }`)));
    expect(exits).toMatchObject({ ok: false, error: 'Bot worker stopped' });
    const uncaught = await pool.run(
      request(
        await botModule(`export function handler() {
          setTimeout(() => { throw new Error('late failure'); }, 10);
          return new Promise(() => {});
        }`)
      )
    );
    expect(uncaught).toMatchObject({ ok: false, error: 'Bot worker failed: late failure' });
    expect((await pool.run(request(await botModule(ECHO)))).ok).toBe(true);
  });

  test('process.env inside a bot is empty: no secrets of the server', async () => {
    expect(Object.keys(process.env).length).toBeGreaterThan(0);
    const pool = newPool(1);
    const result = await pool.run(
      request(await botModule(`export function handler() { return Object.keys(process.env); }`))
    );
    expect(result.ok).toBe(true);
    expect(result.returnValue).toEqual([]);
  });

  test('return values are sent as JSON; unserialisable ones become a string', async () => {
    const pool = newPool(1);
    const date = await pool.run(
      request(await botModule(`export function handler() { return { at: new Date(0), skip: undefined }; }`))
    );
    expect(date.returnValue).toEqual({ at: '1970-01-01T00:00:00.000Z' });
    const cyclic = await pool.run(
      request(await botModule(`export function handler() { const a = {}; a.self = a; return a; }`))
    );
    expect(cyclic.ok).toBe(true);
    expect(cyclic.returnValue).toBe('[object Object]');
  });

  test('runs spread over the workers, and a closed pool refuses new runs', async () => {
    const pool = new BotWorkerPool({ workers: 2, memoryMb: 64 });
    const threadId = await botModule(`import { threadId } from 'node:worker_threads';
      export async function handler() { await new Promise((r) => setTimeout(r, 100)); return threadId; }`);
    const results = await Promise.all([pool.run(request(threadId)), pool.run(request(threadId))]);
    expect(new Set(results.map((r) => r.returnValue)).size).toBe(2);
    await pool.close();
    const refused = await pool.run(request(threadId));
    expect(refused).toMatchObject({ ok: false, error: 'The bot runtime is stopping' });
  });
});
