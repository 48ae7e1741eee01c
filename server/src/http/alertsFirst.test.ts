// The request gate: other clients' requests wait in arrival order beyond the limit; a bot's requests never wait.
import express from 'express';
import type { AddressInfo } from 'node:net';
import { describe, expect, test } from 'vitest';
import { alertsFirst, RequestGate } from './alertsFirst.ts';

describe('RequestGate', () => {
  test('at most `limit` hold a place; the others get one in arrival order as places are given up', async () => {
    const gate = new RequestGate(2);
    const first = await gate.enter();
    const second = await gate.enter();
    const order: string[] = [];
    const third = gate.enter().then((leave) => (order.push('third'), leave));
    const fourth = gate.enter().then((leave) => (order.push('fourth'), leave));
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual([]);
    expect(gate.queued).toBe(2);
    first();
    first(); // Giving a place up twice frees it once.
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['third']);
    second();
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['third', 'fourth']);
    (await third)();
    (await fourth)();
    // All free again: two enter at once.
    const again = await Promise.all([gate.enter(), gate.enter()]);
    expect(gate.queued).toBe(0);
    again.forEach((leave) => leave());
  });
});

describe('alertsFirst', () => {
  /** A server whose handler answers only when released, with the caller named by a header (as authentication would). */
  async function server(limit: number) {
    const gate = new RequestGate(limit);
    const releases: (() => void)[] = [];
    const app = express();
    app.use((req, res, next) => {
      res.locals.caller = { clientId: String(req.headers['x-client']), scopes: [], expiresAt: 0 };
      next();
    });
    app.use(alertsFirst(gate));
    app.get('/', (req, res) => {
      releases.push(() => res.send(String(req.headers['x-client'])));
    });
    const listener = app.listen(0);
    await new Promise((r) => listener.once('listening', r));
    const base = `http://127.0.0.1:${(listener.address() as AddressInfo).port}/`;
    const get = (client: string) => fetch(base, { headers: { 'x-client': client } }).then((r) => r.text());
    const handled = async (n: number) => {
      for (let i = 0; i < 100 && releases.length < n; i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      return releases.length;
    };
    return { gate, releases, get, handled, base, close: () => listener.close() };
  }

  test("a bot's request goes through while other clients' requests wait for a place", async () => {
    const s = await server(1);
    try {
      const device = s.get('gateway');
      expect(await s.handled(1)).toBe(1);
      const waiting = s.get('clinician-app');
      await new Promise((r) => setTimeout(r, 50));
      expect(s.gate.queued).toBe(1);
      const bot = s.get('bot-rpm-observation-alerts');
      expect(await s.handled(2)).toBe(2); // The bot was handled although the gate is full.
      s.releases[1]();
      expect(await bot).toBe('bot-rpm-observation-alerts');
      expect(s.gate.queued).toBe(1);
      s.releases[0]();
      expect(await device).toBe('gateway');
      expect(await s.handled(3)).toBe(3); // The waiting request got the place the finished one gave up.
      s.releases[2]();
      expect(await waiting).toBe('clinician-app');
    } finally {
      s.close();
    }
  });

  test('a request whose client gave up while waiting is never handled, and its place passes on', async () => {
    const s = await server(1);
    try {
      const first = s.get('gateway');
      expect(await s.handled(1)).toBe(1);
      const abandoned = new AbortController();
      const gaveUp = fetch(s.base, { headers: { 'x-client': 'other' }, signal: abandoned.signal }).catch(
        () => 'aborted'
      );
      await new Promise((r) => setTimeout(r, 50));
      abandoned.abort();
      expect(await gaveUp).toBe('aborted');
      const next = s.get('clinician-app');
      await new Promise((r) => setTimeout(r, 50));
      s.releases[0]();
      expect(await first).toBe('gateway');
      expect(await s.handled(2)).toBe(2);
      s.releases[1]();
      expect(await next).toBe('clinician-app'); // The abandoned request was skipped, not handled.
      expect(s.releases).toHaveLength(2);
      expect(s.gate.queued).toBe(0);
    } finally {
      s.close();
    }
  });
});
