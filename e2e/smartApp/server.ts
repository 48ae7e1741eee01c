// Serves the static SMART test app (launch.html, index.html) and fhirclient's browser bundle on a loopback port.
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const APP_DIR = path.dirname(fileURLToPath(import.meta.url));
const FHIR_CLIENT_BUNDLE = createRequire(import.meta.url).resolve('fhirclient/build/fhir-client.js');

/** URL path → file; nothing else is served (no directory listing, no path traversal). */
const FILES: Record<string, { file: string; type: string }> = {
  '/launch.html': { file: path.join(APP_DIR, 'launch.html'), type: 'text/html; charset=utf-8' },
  '/index.html': { file: path.join(APP_DIR, 'index.html'), type: 'text/html; charset=utf-8' },
  '/fhir-client.js': { file: FHIR_CLIENT_BUNDLE, type: 'text/javascript; charset=utf-8' },
};

export interface SmartTestApp {
  /** `http://127.0.0.1:<port>` (a loopback origin is a secure context, which fhirclient's PKCE needs). */
  origin: string;
  launchUrl: string;
  redirectUri: string;
  /** Paths requested so far, for asserting that the app was really used. */
  requests: string[];
  close(): Promise<void>;
}

export async function startSmartTestApp(): Promise<SmartTestApp> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push(url.pathname + url.search);
    const entry = FILES[url.pathname];
    if (req.method !== 'GET' || !entry) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
      return;
    }
    readFile(entry.file).then(
      (body) => res.writeHead(200, { 'content-type': entry.type, 'cache-control': 'no-store' }).end(body),
      (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(err.message)
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    launchUrl: `${origin}/launch.html`,
    redirectUri: `${origin}/index.html`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
