// The machine's busy share is read from /proc/stat's cpu line: idle and iowait are the only time not busy.
import fs from 'node:fs';
import { describe, expect, test } from 'vitest';
import { measureMachineCpu, parseCoreTimes } from './machineCpu.ts';

describe('parseCoreTimes', () => {
  test('busy is user, nice, system, irq, softirq and steal; idle and iowait are not busy; guests are not added twice', () => {
    const stat = 'cpu  100 5 50 800 20 3 7 15 40 0\ncpu0 50 2 25 400 10 1 3 7 20 0\nintr 1 2 3\n';
    expect(parseCoreTimes(stat)).toEqual({ busy: 180, total: 1000 });
  });

  test('anything without a readable cpu line gives no reading', () => {
    expect(parseCoreTimes('intr 1 2\n')).toBeUndefined();
    expect(parseCoreTimes('cpu  a b c d e\n')).toBeUndefined();
  });

  test('measures this process and, on Linux, a share between 0 and 1', () => {
    const machine = measureMachineCpu();
    // Past a few clock ticks (10 ms each), so that /proc/stat has moved on.
    let spin = 0;
    const until = Date.now() + 60;
    while (Date.now() < until) {
      spin += Math.sqrt(spin + 1);
    }
    const used = machine.stop();
    expect(spin).toBeGreaterThan(0);
    expect(used.benchSeconds).toBeGreaterThan(0);
    if (fs.existsSync('/proc/stat')) {
      expect(used.busyShare).toBeGreaterThanOrEqual(0);
      expect(used.busyShare).toBeLessThanOrEqual(1);
    }
  });
});
