// While alerts run late, readings get 503 + Retry-After and are not stored; everything else goes on; bots pass.
import type { Bundle, Observation, OperationOutcome } from '@medplum/fhirtypes';
import express from 'express';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import type { AlertBacklog } from '../jobs/alertBacklog.ts';
import { useTestServer } from '../testing/testServer.ts';
import { refuseReadingsWhileAlertsLate, writesObservation } from './readingsWhileAlertsLate.ts';

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

describe('refuseReadingsWhileAlertsLate (middleware)', () => {
  let close: (() => void) | undefined;
  afterEach(() => close?.());

  /** The middleware in front of a handler that says "stored", with the caller named by a header. */
  async function server(late: number | undefined) {
    const backlog: AlertBacklog = { lateMs: () => late, sample: async () => late, stop: () => undefined };
    const app = express();
    app.use((req, res, next) => {
      res.locals.caller = { clientId: String(req.headers['x-client']), scopes: [], expiresAt: 0 };
      next();
    });
    app.use(express.json(), refuseReadingsWhileAlertsLate(backlog, 5_000));
    app.use((_req, res) => void res.status(201).send('stored'));
    const listener = app.listen(0);
    await new Promise((r) => listener.once('listening', r));
    close = () => listener.close();
    const base = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
    return (client: string) =>
      fetch(`${base}/Observation`, {
        method: 'POST',
        headers: { 'x-client': client, 'content-type': 'application/json' },
        body: '{}',
      });
  }

  test("the server's own bots are never refused (their writes are the alerts)", async () => {
    const post = await server(30_000);
    expect((await post('bot-rpm-observation-alerts')).status).toBe(201);
    expect((await post('gateway')).status).toBe(503);
  });

  test('at or under the limit, or with the backlog unknown, readings are taken', async () => {
    expect((await (await server(5_000))('gateway')).status).toBe(201);
    close?.();
    expect((await (await server(undefined))('gateway')).status).toBe(201);
  });

  test('Retry-After follows how late alerts are, from 1 s to at most 60 s', async () => {
    expect((await (await server(5_001))('gateway')).headers.get('retry-after')).toBe('6');
    close?.();
    expect((await (await server(600_000))('gateway')).headers.get('retry-after')).toBe('60');
  });
});

describe('on a real server whose alert jobs wait', () => {
  // No instance runs the jobs, so a bot run queued by the test stays waiting: the alerts are "late".
  const ctx = useTestServer({ RPM_RUN_JOBS: 'false', RPM_ALERT_BACKLOG_LIMIT_MS: '2000' });
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

  async function stored(text: string): Promise<number> {
    const res = await ctx.api(`Observation?code:text=${encodeURIComponent(text)}&_summary=count`);
    expect(res.status).toBe(200);
    return ((await res.json()) as Bundle).total as number;
  }

  /** POSTs until the answer is `status` (the backlog is sampled twice a second). */
  async function postUntil(body: Observation, status: number): Promise<Response> {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const res = await ctx.api('Observation', { method: 'POST', body: JSON.stringify(body) });
      if (res.status === status || Date.now() > deadline) {
        return res;
      }
      await res.body?.cancel();
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  test('a reading is refused with 503, Retry-After and a throttled OperationOutcome, and is not stored', async () => {
    await ctx.server.pool.query(
      `SELECT "${schema()}".add_job('execute-bot', '{}'::json, run_at => now() - interval '9 seconds')`
    );
    // Probes until the sampler has seen the late job, then the reading under test.
    expect((await postUntil(reading('late-alerts-probe'), 503)).status).toBe(503);
    const refused = await ctx.api('Observation', { method: 'POST', body: JSON.stringify(reading('late-alerts-1')) });
    expect(refused.status).toBe(503);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(9);
    const outcome = (await refused.json()) as OperationOutcome;
    expect(outcome.resourceType).toBe('OperationOutcome');
    expect(outcome.issue?.[0]).toMatchObject({ severity: 'error', code: 'throttled' });
    expect(outcome.issue?.[0].details?.text).toMatch(/not stored: send it again after \d+ s/);
    expect(await stored('late-alerts-1')).toBe(0);

    // A transaction carrying a reading is refused whole: nothing of it is written.
    const transaction: Bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          resource: { resourceType: 'Patient', name: [{ family: 'Latealerts' }] },
          request: { method: 'POST', url: 'Patient' },
        },
        { resource: reading('late-alerts-2'), request: { method: 'POST', url: 'Observation' } },
      ],
    };
    const bundle = await ctx.api('', { method: 'POST', body: JSON.stringify(transaction) });
    expect(bundle.status).toBe(503);
    expect(await stored('late-alerts-2')).toBe(0);
    const patients = await ctx.api('Patient?family=Latealerts&_summary=count');
    expect(((await patients.json()) as Bundle).total).toBe(0);

    // Reading data and writing anything else go on.
    expect((await ctx.api('Observation?_count=1')).status).toBe(200);
    expect(
      (
        await ctx.api('Observation/_search', {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: '_count=1',
        })
      ).status
    ).toBe(200);
    const patient = await ctx.api('Patient', {
      method: 'POST',
      body: JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Stillwelcome' }] }),
    });
    expect(patient.status).toBe(201);

    // Once the alert work has caught up, the same reading is taken.
    await ctx.server.pool.query(`DELETE FROM "${schema()}"._private_jobs`);
    const accepted = await postUntil(reading('late-alerts-1'), 201);
    expect(accepted.status).toBe(201);
    expect(await stored('late-alerts-1')).toBe(1);
  });

  test('a reading is taken while the waiting alert work is younger than the limit', async () => {
    await ctx.server.pool.query(`SELECT "${schema()}".add_job('execute-bot', '{}'::json)`);
    await new Promise((r) => setTimeout(r, 600)); // a sample has seen it
    const res = await ctx.api('Observation', { method: 'POST', body: JSON.stringify(reading('late-alerts-3')) });
    expect(res.status).toBe(201);
  });
});
