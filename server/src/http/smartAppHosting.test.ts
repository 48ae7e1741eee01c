// Hosting a built SMART app: files with the right cache headers, the app's routes fall back to index.html, a clear 404 unbuilt.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { smartAppRouter } from './smartAppHosting.ts';

let dist: string;
let server: Server;
let base: string;

beforeAll(async () => {
  dist = mkdtempSync(path.join(os.tmpdir(), 'rpm-app-dist-'));
  mkdirSync(path.join(dist, 'assets'));
  writeFileSync(path.join(dist, 'index.html'), '<!doctype html><title>app</title>');
  writeFileSync(path.join(dist, 'launch.html'), '<!doctype html><title>launch</title>');
  writeFileSync(path.join(dist, 'assets', 'index-abc123.js'), 'console.log(1)');
  const app = express();
  app.use('/apps/clinician', smartAppRouter(dist, 'clinician app'));
  app.use('/apps/unbuilt', smartAppRouter(path.join(dist, 'missing'), 'patient app'));
  app.use((_req, res) => {
    res.status(404).send('not here');
  });
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server?.close();
  rmSync(dist, { recursive: true, force: true });
});

describe('smartAppRouter', () => {
  test('hashed assets are cached for a year; pages are revalidated every time', async () => {
    const asset = await fetch(`${base}/apps/clinician/assets/index-abc123.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    for (const page of ['/apps/clinician/', '/apps/clinician/launch.html']) {
      const res = await fetch(`${base}${page}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-cache');
    }
  });

  test('the app’s own routes get index.html (a reload of /patient/123 works); missing files are 404', async () => {
    const route = await fetch(`${base}/apps/clinician/patient/123`, { headers: { accept: 'text/html' } });
    expect(route.status).toBe(200);
    expect(await route.text()).toContain('<title>app</title>');
    expect(route.headers.get('cache-control')).toBe('no-cache');
    expect((await fetch(`${base}/apps/clinician/assets/gone.js`)).status).toBe(404);
    expect(
      (await fetch(`${base}/apps/clinician/patient/123`, { headers: { accept: 'application/json' } })).status
    ).toBe(404);
  });

  test('the app folder without its slash redirects to it (relative asset URLs need it)', async () => {
    const res = await fetch(`${base}/apps/clinician`, { redirect: 'manual' });
    expect(res.status).toBe(301);
    expect(res.headers.get('location')).toBe('/apps/clinician/');
  });

  test('an app that is not built: 404 OperationOutcome saying how to build it', async () => {
    const res = await fetch(`${base}/apps/unbuilt/`, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(404);
    const body = (await res.json()) as { resourceType: string; issue: { details: { text: string } }[] };
    expect(body.resourceType).toBe('OperationOutcome');
    expect(body.issue[0].details.text).toContain('The patient app is not built: run "npm run build"');
  });
});
