// Test helper: a real HTTP server with the authorization server mounted and a protected dummy FHIR route.
import crypto from 'node:crypto';
import http from 'node:http';
import express from 'express';
import { loadConfig, type ServerConfig } from '../config.ts';
import { createPool, type Db } from '../db/pool.ts';
import { TEST_APP_URLS } from '../testing/testServer.ts';
import { createAuthorizationServer, getCaller, type AuthorizationServer } from './index.ts';

export interface AuthTestServer {
  /** Where this server listens (BASE_URL may name another, as behind a shared load balancer). */
  baseUrl: string;
  /** This server's token endpoint. */
  tokenUrl: string;
  /** This server's FHIR routes. */
  fhirUrl: string;
  /** The configured FHIR base URL: the audience of the tokens issued. */
  fhirBaseUrl: string;
  config: ServerConfig;
  auth: AuthorizationServer;
  pool: Db;
  close(): Promise<void>;
}

/** A unique client id per test file (files run in parallel against one database). */
export function uniqueId(prefix: string): string {
  return `${prefix}-${crypto.randomBytes(4).toString('hex')}`;
}

export async function startAuthTestServer(env: NodeJS.ProcessEnv = {}, pool?: Db): Promise<AuthTestServer> {
  const ownPool = pool ?? createPool(process.env.RPM_TEST_DATABASE_URL as string, 4);
  const app = express();
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const config = loadConfig({ BASE_URL: baseUrl, ...TEST_APP_URLS, ...env });
  const auth = await createAuthorizationServer({ config, pool: ownPool });

  app.use(auth.mountPath, auth.handler);
  // A stand-in for the FHIR API: echoes the caller; Observation reads need a scope allowing them.
  app.get('/fhir/R4/whoami', auth.authenticate, (_req, res) => {
    res.json(getCaller(res));
  });
  app.get('/fhir/R4/:resourceType', auth.authenticate, auth.requireScope('search'), (req, res) => {
    res.json({
      resourceType: 'Bundle',
      type: 'searchset',
      total: 0,
      link: [{ relation: 'self', url: req.originalUrl }],
    });
  });

  return {
    baseUrl,
    tokenUrl: `${baseUrl}${auth.mountPath}/token`,
    fhirUrl: `${baseUrl}/fhir/R4`,
    fhirBaseUrl: auth.fhirBaseUrl,
    config,
    auth,
    pool: ownPool,
    async close() {
      await auth.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      if (!pool) {
        await ownPool.end();
      }
    },
  };
}

/** POSTs a form to the token endpoint; returns status, headers and the parsed JSON body. */
export async function postToken(
  tokenUrl: string,
  form: Record<string, string>,
  headers: Record<string, string> = {}
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const response = await fetch(tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  });
  const text = await response.text();
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text);
  } catch {
    body = { raw: text };
  }
  return { status: response.status, headers: response.headers, body };
}

export function basicAuth(clientId: string, secret: string): Record<string, string> {
  const encode = (value: string) => encodeURIComponent(value);
  return { authorization: `Basic ${Buffer.from(`${encode(clientId)}:${encode(secret)}`).toString('base64')}` };
}
