// While alerts run late, readings wait, then get 503 + Retry-After, and are not stored; everything else goes on.
import type { Bundle, Observation, OperationOutcome, Resource } from '@medplum/fhirtypes';
import express from 'express';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import type { AlertBacklog } from '../jobs/alertBacklog.ts';
import { useTestServer } from '../testing/testServer.ts';
import { alertsFirst, RequestGate } from './alertsFirst.ts';
import { readingAdmission, retryAfterSeconds, writesObservation } from './readingsWhileAlertsLate.ts';

describe('writesObservation', () => {
  const reading: Observation = { resourceType: 'Observation', status: 'final', code: { text: 'pulse' } };
  test.each([
    ['POST', '/Observation', undefined, true],
    ['PUT', '/Observation/abc', undefined, true],
    ['PATCH', '/Observation/abc', undefined, true],
    ['PUT', '/Observation', undefined, true], // conditional update
    ['GET', '/Observation', undefined, false],
    ['DELETE', '/Observation/abc', undefined, false],
    ['POST', '/Observation/_search', undefined, false],
    ['POST', '/Observation/$lastn', undefined, false],
    ['POST', '/Observation/abc/$validate', undefined, false],
    ['POST', '/Observation/abc', undefined, false],
    ['POST', '/Patient', undefined, false],
    ['POST', '/DetectedIssue/abc/$acknowledge', undefined, false],
    [
      'POST',
      '/',
      {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [{ resource: reading, request: { method: 'POST', url: 'Observation' } }],
      },
      true,
    ],
    [
      'POST',
      '/',
      { resourceType: 'Bundle', type: 'batch', entry: [{ request: { method: 'put', url: '/Observation/abc' } }] },
      true,
    ],
    [
      'POST',
      '/',
      { resourceType: 'Bundle', type: 'batch', entry: [{ request: { method: 'GET', url: 'Observation?code=x' } }] },
      false,
    ],
    [
      'POST',
      '/',
      { resourceType: 'Bundle', type: 'batch', entry: [{ request: { method: 'POST', url: 'Patient' } }] },
      false,
    ],
    ['POST', '/', { resourceType: 'Bundle', type: 'batch' }, false],
    ['POST', '/', 'not json', false],
  ])('%s %s → %s', (method, path, body, expected) => {
    expect(writesObservation(method, path, body)).toBe(expected);
  });
});

/** A backlog the test sets and samples by hand (the real one is tested in jobs/alertBacklog.test.ts and below). */
function handBacklog(initial: number | undefined) {
  let late = initial;
  const listeners = new Set<(late: number | undefined) => void>();
  const backlog: AlertBacklog = {
    lateMs: () => late,
    sample: async () => late,
    onSample: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stop: () => undefined,
  };
  /** Sets the backlog and "samples" it, as the watcher does five times a second. */
  const set = (value: number | undefined) => {
    late = value;
    listeners.forEach((listener) => listener(value));
  };
  return { backlog, set };
}

describe('readingAdmission (middleware)', () => {
  let close: (() => void) | undefined;
  afterEach(() => close?.());

  /**
   * Both middlewares and a request gate of one place, as app.ts mounts them, before a handler that counts what it
   * stored; the caller is named by a header.
   */
  async function server(late: number | undefined, holdMs = 60_000, releasePerSample?: number, limitMs = 5_000) {
    const { backlog, set } = handBacklog(late);
    const admission = readingAdmission(backlog, limitMs, holdMs, releasePerSample);
    const stored: string[] = [];
    const app = express();
    app.use((req, res, next) => {
      res.locals.caller = { clientId: String(req.headers['x-client']), scopes: [], expiresAt: 0 };
      next();
    });
    app.use(admission.holdByPath, alertsFirst(new RequestGate(1)), express.json(), admission.holdBundles);
    app.use((req, res) => {
      stored.push(`${req.method} ${req.path}`);
      res.status(201).send('stored');
    });
    const listener = app.listen(0);
    await new Promise((r) => listener.once('listening', r));
    close = () => listener.close();
    const base = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
    const send = (client: string, path = '/Observation', body: unknown = {}, signal?: AbortSignal) =>
      fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'x-client': client, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal,
      });
    const heldCount = async (n: number) => {
      for (let i = 0; i < 100 && admission.held < n; i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      return admission.held;
    };
    return { admission, set, stored, send, heldCount };
  }

  test('while alerts are late a reading waits, and goes on (in arrival order) once a sample finds them in time', async () => {
    const s = await server(30_000);
    const first = s.send('gateway');
    expect(await s.heldCount(1)).toBe(1);
    const second = s.send('gateway', '/Observation', { n: 2 });
    expect(await s.heldCount(2)).toBe(2);
    s.set(12_000); // still late: still held
    expect(s.admission.held).toBe(2);
    expect(s.stored).toEqual([]);
    s.set(1_000);
    expect((await first).status).toBe(201);
    expect((await second).status).toBe(201);
    expect(s.stored).toEqual(['POST /Observation', 'POST /Observation']);
    expect(s.admission.held).toBe(0);
  });

  test('held readings go on a few per sample, oldest first; while some wait, new ones queue behind them', async () => {
    const s = await server(30_000, 60_000, 2);
    const answers = [1, 2, 3].map((n) => s.send('gateway', '/Observation', { n }));
    expect(await s.heldCount(3)).toBe(3);
    s.set(0);
    expect((await answers[0]).status).toBe(201);
    expect((await answers[1]).status).toBe(201);
    expect(s.admission.held).toBe(1);
    // Alerts are in time, but one reading still waits: the new one queues behind it.
    const fourth = s.send('gateway', '/Observation', { n: 4 });
    expect(await s.heldCount(2)).toBe(2);
    s.set(0);
    expect((await answers[2]).status).toBe(201);
    expect((await fourth).status).toBe(201);
    expect(s.stored).toHaveLength(4);
    // Nothing held and in time: straight through.
    expect((await s.send('gateway')).status).toBe(201);
  });

  test('a reading past its deadline is not refused while alerts are in time: it goes with the next release', async () => {
    const s = await server(30_000, 10, 1);
    const answers = [1, 2].map((n) => s.send('gateway', '/Observation', { n }));
    expect(await s.heldCount(2)).toBe(2);
    await new Promise((r) => setTimeout(r, 30));
    s.set(0);
    s.set(0);
    expect((await Promise.all(answers)).map((a) => a.status)).toEqual([201, 201]);
  });

  test('a reading still held at its deadline gets 503, Retry-After and nothing stored', async () => {
    const s = await server(30_000, 50);
    const reading = s.send('gateway');
    expect(await s.heldCount(1)).toBe(1);
    await new Promise((r) => setTimeout(r, 80));
    s.set(9_400);
    const refused = await reading;
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('10');
    const outcome = (await refused.json()) as OperationOutcome;
    expect(outcome.issue?.[0]).toMatchObject({ severity: 'error', code: 'throttled' });
    expect(outcome.issue?.[0].details?.text).toBe(
      'Alerts are running 9 s behind, so new readings are not accepted for now. This reading was not stored: send it again after 10 s.'
    );
    expect(s.stored).toEqual([]);
    expect(s.admission.counts).toEqual({ held: 1, refused: 1 });
  });

  test('Retry-After: how far behind the alerts are, at least the hold the reading waited through, 1 to 60 s', async () => {
    expect(retryAfterSeconds(600, 5_000)).toBe(5);
    expect(retryAfterSeconds(9_400, 5_000)).toBe(10);
    expect(retryAfterSeconds(600, 0)).toBe(1);
    expect(retryAfterSeconds(0, 0)).toBe(1);
    expect(retryAfterSeconds(600_000, 5_000)).toBe(60);
    expect(retryAfterSeconds(600, 120_000)).toBe(60);
    // Held 1.2 s with alerts 0.6 s late: come back in 2 s, not in 1.
    const s = await server(30_000, 1_200, undefined, 500);
    const reading = s.send('gateway');
    expect(await s.heldCount(1)).toBe(1);
    await new Promise((r) => setTimeout(r, 1_250));
    s.set(600);
    const refused = await reading;
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('2');
    expect(((await refused.json()) as OperationOutcome).issue?.[0].details?.text).toMatch(/send it again after 2 s\.$/);
  });

  test("the server's own bots, reads and writes of other types are never held; nor anything when alerts are in time", async () => {
    const s = await server(30_000);
    expect((await s.send('bot-rpm-observation-alerts')).status).toBe(201);
    expect((await s.send('gateway', '/Observation/_search')).status).toBe(201);
    expect((await s.send('clinician-app', '/DetectedIssue/a1/$acknowledge')).status).toBe(201);
    expect((await s.send('gateway', '/', { resourceType: 'Bundle', type: 'transaction', entry: [] })).status).toBe(201);
    s.set(5_000);
    expect((await s.send('gateway')).status).toBe(201);
    s.set(undefined); // the queue could not be read: no refusal on its account
    expect((await s.send('gateway')).status).toBe(201);
  });

  test('a Bundle with a reading waits too, and gives its place at the gate back meanwhile', async () => {
    const s = await server(8_000, 60_000);
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [{ resource: { resourceType: 'Observation' }, request: { method: 'POST', url: 'Observation' } }],
    };
    const waiting = s.send('gateway', '/', bundle);
    expect(await s.heldCount(1)).toBe(1);
    // The gate has one place: a clinician's request gets it while the Bundle waits.
    expect((await s.send('clinician-app', '/Patient/_search')).status).toBe(201);
    s.set(0);
    expect((await waiting).status).toBe(201);
    expect(s.stored).toEqual(['POST /Patient/_search', 'POST /']);
  });

  test('a Bundle still held at its deadline gets 503 and Retry-After, and nothing is stored', async () => {
    const s = await server(8_000, 10);
    const waiting = s.send('gateway', '/', {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [{ request: { method: 'PUT', url: 'Observation/abc' } }],
    });
    expect(await s.heldCount(1)).toBe(1);
    await new Promise((r) => setTimeout(r, 30));
    s.set(600_000);
    const refused = await waiting;
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('60');
    expect(s.stored).toEqual([]);
  });

  test('a held reading whose client gave up is dropped, not handled', async () => {
    const s = await server(30_000);
    const abort = new AbortController();
    const gone = s.send('gateway', '/Observation', {}, abort.signal).catch(() => 'aborted');
    expect(await s.heldCount(1)).toBe(1);
    abort.abort();
    expect(await gone).toBe('aborted');
    await new Promise((r) => setTimeout(r, 50));
    s.set(0);
    await new Promise((r) => setTimeout(r, 50));
    expect(s.stored).toEqual([]);
  });
});

describe('on a real server whose alert jobs wait', () => {
  // No instance runs the jobs, so a bot run queued by the test stays waiting: the alerts are "late".
  const ctx = useTestServer({ RPM_RUN_JOBS: 'false', RPM_ALERT_BACKLOG_LIMIT_MS: '2000', RPM_READING_HOLD_MS: '2500' });
  const schema = () => ctx.server.config.jobs.schema;
  afterEach(async () => {
    await ctx.server.pool.query(`DELETE FROM "${schema()}"._private_jobs`);
  });

  const reading = (text: string): Observation => ({
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }], text },
    valueQuantity: { value: 72, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
  });
  const transaction = (...entries: Resource[]): Bundle => ({
    resourceType: 'Bundle',
    type: 'transaction',
    entry: entries.map((resource) => ({ resource, request: { method: 'POST', url: resource.resourceType } })),
  });
  const post = (path: string, body: Resource) => ctx.api(path, { method: 'POST', body: JSON.stringify(body) });

  async function stored(query: string): Promise<number> {
    const res = await ctx.api(`${query}&_summary=count`);
    expect(res.status).toBe(200);
    return ((await res.json()) as Bundle).total as number;
  }
  const readings = (text: string) => stored(`Observation?code:text=${encodeURIComponent(text)}`);

  /** A late bot run, and a wait until the server has sampled it (five times a second). */
  async function alertsLate(): Promise<void> {
    await ctx.server.pool.query(
      `SELECT "${schema()}".add_job('execute-bot', '{}'::json, run_at => now() - interval '9 seconds')`
    );
    await new Promise((r) => setTimeout(r, 600));
  }

  /** The answer to `request` if it comes within `ms`, else 'no answer yet'. */
  const within = (request: Promise<Response>, ms: number) =>
    Promise.race([request, new Promise<'no answer yet'>((r) => setTimeout(() => r('no answer yet'), ms))]);

  test('a reading is held, then refused with 503, Retry-After and a throttled OperationOutcome; nothing stored', async () => {
    await alertsLate();
    const started = Date.now();
    const request = post('Observation', reading('late-alerts-1'));
    expect(await within(request, 1_000)).toBe('no answer yet');
    const refused = await request;
    expect(refused.status).toBe(503);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_400);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(9);
    const outcome = (await refused.json()) as OperationOutcome;
    expect(outcome.resourceType).toBe('OperationOutcome');
    expect(outcome.issue?.[0]).toMatchObject({ severity: 'error', code: 'throttled' });
    expect(outcome.issue?.[0].details?.text).toMatch(/not stored: send it again after \d+ s/);
    expect(await readings('late-alerts-1')).toBe(0);

    // A transaction carrying a reading waits too, then is refused whole: nothing of it is written.
    const bundle = await post(
      '',
      transaction({ resourceType: 'Patient', name: [{ family: 'Latealerts' }] }, reading('late-alerts-2'))
    );
    expect(bundle.status).toBe(503);
    expect(await readings('late-alerts-2')).toBe(0);
    expect(await stored('Patient?family=Latealerts')).toBe(0);

    // Reading data and writing anything else go on.
    expect((await ctx.api('Observation?_count=1')).status).toBe(200);
    const search = await ctx.api('Observation/_search', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: '_count=1',
    });
    expect(search.status).toBe(200);
    expect((await post('Patient', { resourceType: 'Patient', name: [{ family: 'Stillwelcome' }] })).status).toBe(201);
    expect((await post('', transaction({ resourceType: 'Patient', name: [{ family: 'Stillwelcome' }] }))).status).toBe(
      200
    );
  });

  test('held readings, single and in a transaction, are stored once the alert work has caught up', async () => {
    await alertsLate();
    const single = post('Observation', reading('late-alerts-3'));
    const bundle = post(
      '',
      transaction({ resourceType: 'Patient', name: [{ family: 'Heldpatient' }] }, reading('late-alerts-5'))
    );
    expect(await within(single, 600)).toBe('no answer yet');
    expect(await within(bundle, 1)).toBe('no answer yet');
    await ctx.server.pool.query(`DELETE FROM "${schema()}"._private_jobs`);
    expect((await single).status).toBe(201);
    expect((await bundle).status).toBe(200);
    expect(await readings('late-alerts-3')).toBe(1);
    expect(await readings('late-alerts-5')).toBe(1);
    expect(await stored('Patient?family=Heldpatient')).toBe(1);
  });

  test('a reading is taken at once while the waiting alert work is younger than the limit', async () => {
    await ctx.server.pool.query(`SELECT "${schema()}".add_job('execute-bot', '{}'::json)`);
    await new Promise((r) => setTimeout(r, 600)); // a sample has seen it
    const res = await within(post('Observation', reading('late-alerts-4')), 1_000);
    expect(res === 'no answer yet' ? res : res.status).toBe(201);
  });
});
