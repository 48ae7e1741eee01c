// Batched bot runs: triggers that wait together share a run; a failed batch reruns each trigger alone.
import type { Bundle, Observation, Resource } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import { BotRunBatches, type RunBotInput } from './botRunBatches.ts';
import type { BotRunResult } from './botWorkerPool.ts';

const reading = (id: string): Observation => ({ resourceType: 'Observation', id, status: 'final', code: {} });

/** A stand-in for the worker pool: records each run's input ids and finishes it when told. */
function recordingRunner(fails?: (ids: string[]) => boolean) {
  const runs: string[][] = [];
  const finish: (() => void)[] = [];
  const runInput: RunBotInput = (input: Resource) => {
    const ids =
      input.resourceType === 'Bundle'
        ? ((input as Bundle).entry ?? []).map((e) => e.resource?.id as string)
        : [input.id as string];
    runs.push(ids);
    return new Promise<BotRunResult>((resolve) => {
      finish.push(() =>
        resolve(
          fails?.(ids)
            ? { ok: false, error: `failed ${ids.join(',')}`, logs: [], durationMs: 1 }
            : { ok: true, returnValue: ids, logs: [], durationMs: 1 }
        )
      );
    });
  };
  /** Finishes every run started so far (and any started meanwhile), a turn of the event loop at a time. */
  const drain = async () => {
    for (let turn = 0; turn < 20; turn++) {
      await new Promise((r) => setImmediate(r));
      finish.splice(0).forEach((f) => f());
    }
  };
  return { runs, runInput, drain };
}

describe('BotRunBatches', () => {
  test('a trigger alone runs at once, alone, with its own input', async () => {
    const batches = new BotRunBatches(2);
    const runner = recordingRunner();
    const outcome = batches.run('bot', 25, reading('a'), runner.runInput);
    await runner.drain();
    expect(await outcome).toMatchObject({ batchOf: 1, result: { ok: true, returnValue: ['a'] } });
    expect(runner.runs).toEqual([['a']]);
  });

  test('triggers arriving together share one run, up to the batch size; the rest wait for a free run', async () => {
    const batches = new BotRunBatches(1);
    const runner = recordingRunner();
    const ids = ['a', 'b', 'c', 'd', 'e'];
    const outcomes = ids.map((id) => batches.run('bot', 3, reading(id), runner.runInput));
    await runner.drain();
    expect(runner.runs).toEqual([
      ['a', 'b', 'c'],
      ['d', 'e'],
    ]);
    expect((await Promise.all(outcomes)).map((o) => o.batchOf)).toEqual([3, 3, 3, 2, 2]);
  });

  test("a batched run's first trigger gets every trigger's note (to record the run once); the others and lone runs none", async () => {
    const batches = new BotRunBatches<string>(1);
    const runner = recordingRunner();
    const outcomes = ['a', 'b', 'c', 'd'].map((id) =>
      batches.run('bot', 3, reading(id), runner.runInput, `note ${id}`)
    );
    await runner.drain();
    expect((await Promise.all(outcomes)).map((o) => [o.batchOf, o.notes])).toEqual([
      [3, ['note a', 'note b', 'note c']],
      [3, undefined],
      [3, undefined],
      [1, undefined],
    ]);
  });

  test('while the runs in progress are at the limit, new triggers gather for the next run', async () => {
    const batches = new BotRunBatches(2);
    const runner = recordingRunner();
    const first = batches.run('bot', 25, reading('a'), runner.runInput);
    await new Promise((r) => setImmediate(r));
    const second = batches.run('bot', 25, reading('b'), runner.runInput);
    await new Promise((r) => setImmediate(r));
    const later = ['c', 'd', 'e'].map((id) => batches.run('bot', 25, reading(id), runner.runInput));
    await runner.drain();
    await Promise.all([first, second, ...later]);
    expect(runner.runs).toEqual([['a'], ['b'], ['c', 'd', 'e']]);
  });

  test('different bots never share a run', async () => {
    const batches = new BotRunBatches(1);
    const runner = recordingRunner();
    const outcomes = [
      batches.run('one', 25, reading('a'), runner.runInput),
      batches.run('two', 25, reading('b'), runner.runInput),
    ];
    await runner.drain();
    await Promise.all(outcomes);
    expect(runner.runs).toEqual([['a'], ['b']]);
  });

  test('a failed batch runs each trigger again alone: only the input the bot cannot handle fails', async () => {
    const batches = new BotRunBatches(1);
    const runner = recordingRunner((ids) => ids.includes('bad'));
    const outcomes = ['a', 'bad', 'c'].map((id) => batches.run('bot', 25, reading(id), runner.runInput));
    await runner.drain();
    const results = await Promise.all(outcomes);
    expect(runner.runs).toEqual([['a', 'bad', 'c'], ['a'], ['bad'], ['c']]);
    expect(results.map((o) => [o.result.ok, o.batchOf])).toEqual([
      [true, 1],
      [false, 1],
      [true, 1],
    ]);
    expect(results[1].result.error).toBe('failed bad');
  });

  test('a run that cannot start (code or token unavailable) fails its triggers instead of leaving them waiting', async () => {
    const batches = new BotRunBatches(1);
    const outcomes = ['a', 'b'].map((id) =>
      batches.run('bot', 25, reading(id), () => Promise.reject(new Error('no token')))
    );
    const results = await Promise.all(outcomes);
    expect(results.map((o) => [o.result.ok, o.result.error])).toEqual([
      [false, 'no token'],
      [false, 'no token'],
    ]);
  });
});
