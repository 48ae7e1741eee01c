// UrgentFirst: how many tasks run at once, which waiting task starts next, tasks kept for last, and failures.
import { describe, expect, test } from 'vitest';
import { UrgentFirst } from './urgentFirst.ts';

/** A task that records its start and end in `log` and takes `ms`. */
function step(log: string[], name: string, ms = 5, then?: () => void): () => Promise<void> {
  return async () => {
    log.push(`start ${name}`);
    await new Promise((r) => setTimeout(r, ms));
    then?.();
    log.push(`end ${name}`);
  };
}

/** The most tasks that were running at once, read from the log. */
function mostAtOnce(log: string[]): number {
  let now = 0;
  let most = 0;
  for (const line of log) {
    now += line.startsWith('start') ? 1 : -1;
    most = Math.max(most, now);
  }
  return most;
}

describe('UrgentFirst', () => {
  test('runs at most `limit` at once, and every task once', async () => {
    const log: string[] = [];
    const tasks = new UrgentFirst(3);
    for (let i = 0; i < 10; i++) {
      tasks.add(1, step(log, `t${i}`, 2 + (i % 3)));
    }
    await tasks.finished();
    expect(mostAtOnce(log)).toBe(3);
    expect(log.filter((l) => l.startsWith('end')).sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => `end t${i}`).sort()
    );
  });

  test('a free place goes to the most urgent waiting task, equals in the order added', async () => {
    const log: string[] = [];
    const tasks = new UrgentFirst(1);
    tasks.add(1, step(log, 'first'));
    tasks.add(2, step(log, 'later-a'));
    tasks.add(1, step(log, 'soon'));
    tasks.add(2, step(log, 'later-b'));
    tasks.add(0, step(log, 'urgent'));
    await tasks.finished();
    expect(log.filter((l) => l.startsWith('start'))).toEqual([
      'start first',
      'start urgent',
      'start soon',
      'start later-a',
      'start later-b',
    ]);
  });

  test('a running task may add tasks; a more urgent one it adds starts before the others waiting', async () => {
    const log: string[] = [];
    const tasks = new UrgentFirst(1);
    tasks.add(
      1,
      step(log, 'look-up', 5, () => tasks.add(0, step(log, 'check')))
    );
    tasks.add(1, step(log, 'next look-up'));
    await tasks.finished();
    expect(log.filter((l) => l.startsWith('start'))).toEqual(['start look-up', 'start check', 'start next look-up']);
  });

  test('tasks added last start only once no other task waits or runs, then use every place', async () => {
    const log: string[] = [];
    const tasks = new UrgentFirst(3);
    tasks.add(
      1,
      step(log, 'slow', 30, () => tasks.add(0, step(log, 'added while running')))
    );
    tasks.add(1, step(log, 'quick'));
    tasks.addLast(step(log, 'last-1'));
    tasks.addLast(step(log, 'last-2'));
    await tasks.finished();
    const starts = log.filter((l) => l.startsWith('start'));
    expect(starts.slice(0, 3)).toEqual(['start slow', 'start quick', 'start added while running']);
    expect(log.indexOf('start last-1')).toBeGreaterThan(log.indexOf('end added while running'));
    expect(log.indexOf('start last-1')).toBeGreaterThan(log.indexOf('end slow'));
    // Both last tasks ran side by side.
    expect(log.indexOf('start last-2')).toBeLessThan(log.indexOf('end last-1'));
  });

  test('with nothing else to do, a task added last starts at once', async () => {
    const log: string[] = [];
    const tasks = new UrgentFirst(2);
    tasks.addLast(step(log, 'last'));
    await new Promise((r) => setTimeout(r, 1));
    expect(log).toEqual(['start last']);
    await tasks.finished();
  });

  test('a task added while tasks kept for last run takes a free place at once', async () => {
    const log: string[] = [];
    const tasks = new UrgentFirst(2);
    tasks.addLast(step(log, 'last', 30));
    await new Promise((r) => setTimeout(r, 5));
    tasks.add(1, step(log, 'new work', 5));
    await tasks.finished();
    expect(log).toEqual(['start last', 'start new work', 'end new work', 'end last']);
  });

  test('a failure: no task starts after it, the running ones finish, then `finished` throws it', async () => {
    const log: string[] = [];
    const tasks = new UrgentFirst(2);
    tasks.add(1, step(log, 'long', 30));
    tasks.add(1, async () => {
      log.push('start failing');
      throw new Error('search failed');
    });
    tasks.add(1, step(log, 'never'));
    tasks.addLast(step(log, 'never last'));
    expect(tasks.failed).toBe(false);
    await expect(tasks.finished()).rejects.toThrow('search failed');
    expect(tasks.failed).toBe(true);
    expect(log).toEqual(['start long', 'start failing', 'end long']);
    tasks.add(0, step(log, 'after the failure'));
    await new Promise((r) => setTimeout(r, 10));
    expect(log).not.toContain('start after the failure');
  });

  test('with nothing added, `finished` resolves at once', async () => {
    await expect(new UrgentFirst(3).finished()).resolves.toBeUndefined();
  });
});
