// Starts a real server on the test run's database for integration tests, and a MedplumClient logged in to it.
import crypto from 'node:crypto';
import { MedplumClient } from '@medplum/core';
import { afterAll, beforeAll } from 'vitest';
import { loadConfig, type ServerConfig } from '../config.ts';
import { startServer, type RunningServer } from '../server.ts';
import { freePort } from './freePort.ts';

export const TEST_ADMIN = { clientId: 'rpm-admin', clientSecret: 'rpm-admin-secret' };

/**
 * Every test server seeds the two app clients into the one test database; with URLs derived from each server's own
 * port they would overwrite each other's redirect URIs mid-test. The same fixed URLs everywhere keep them identical
 * (tests stop at the redirect and never load these pages).
 */
export const TEST_APP_URLS = {
  RPM_CLINICIAN_APP_URL: 'http://apps.rpm.test/clinician/',
  RPM_PATIENT_APP_URL: 'http://apps.rpm.test/patient/',
};

/** A server on a free port against RPM_TEST_DATABASE_URL, without demo data unless asked. */
export async function startTestServer(env: NodeJS.ProcessEnv = {}): Promise<RunningServer & { config: ServerConfig }> {
  const databaseUrl = process.env.RPM_TEST_DATABASE_URL;
  if (!databaseUrl) {
    throw new Error(
      'RPM_TEST_DATABASE_URL is not set: run tests through vitest (its globalSetup creates the database)'
    );
  }
  const port = await freePort();
  const config = loadConfig({
    PORT: String(port),
    BASE_URL: `http://127.0.0.1:${port}`,
    DATABASE_URL: databaseUrl,
    RPM_SEED_DEMO_DATA: 'false',
    RPM_ADMIN_CLIENT_ID: TEST_ADMIN.clientId,
    RPM_ADMIN_CLIENT_SECRET: TEST_ADMIN.clientSecret,
    ...TEST_APP_URLS,
    // Each test server runs its own job queue, so its jobs never run on another test file's server.
    RPM_JOB_SCHEMA: `jobs_${crypto.randomUUID().replaceAll('-', '').slice(0, 16)}`,
    // The alert bots and their Subscription are deployed by the tests that need them (they apply database-wide).
    RPM_BUILT_IN_BOTS: 'false',
    // Readings are never refused for late alerts, so a loaded CI machine cannot turn a test's readings away; the
    // tests of that refusal (http/readingsWhileAlertsLate.test.ts and the outbox's) set a limit.
    RPM_ALERT_BACKLOG_LIMIT_MS: '0',
    ...env,
  });
  const server = await startServer(config);
  return { ...server, config };
}

/** A MedplumClient that logged in with the admin client's client_credentials grant. */
export async function adminClient(server: RunningServer): Promise<MedplumClient> {
  const medplum = new MedplumClient({ baseUrl: server.baseUrl, fetch, cacheTime: 0 });
  await medplum.startClientLogin(TEST_ADMIN.clientId, TEST_ADMIN.clientSecret);
  return medplum;
}

/** Raw fetch against the FHIR base with a bearer token, for asserting exact HTTP behaviour. */
export function fhirFetch(server: RunningServer, token: string) {
  return (path: string, init: RequestInit = {}): Promise<Response> =>
    fetch(`${server.fhirBaseUrl}/${path.replace(/^\//, '')}`, {
      ...init,
      headers: {
        authorization: `Bearer ${token}`,
        ...(init.body ? { 'content-type': 'application/fhir+json' } : {}),
        ...(init.headers as Record<string, string> | undefined),
      },
    });
}

export interface TestServerContext {
  server: RunningServer & { config: ServerConfig };
  medplum: MedplumClient;
  /** fetch against the FHIR base with the admin client's token. */
  api: ReturnType<typeof fhirFetch>;
}

/**
 * Starts a test server for the calling test file (beforeAll) and stops it afterwards (afterAll). The returned
 * object is filled in before the first test runs.
 */
export function useTestServer(env: NodeJS.ProcessEnv = {}): TestServerContext {
  const context = {} as TestServerContext;
  let renewal: NodeJS.Timeout | undefined;
  beforeAll(async () => {
    context.server = await startTestServer(env);
    context.medplum = await adminClient(context.server);
    // The admin token is renewed at a third of its lifetime, so files that shorten RPM_ACCESS_TOKEN_TTL (to test
    // expiry and refresh) can still use ctx.api and ctx.medplum however long they run on a busy machine.
    const renewEveryMs = (context.server.config.accessTokenTtl * 1000) / 3;
    renewal = setInterval(() => {
      context.medplum.startClientLogin(TEST_ADMIN.clientId, TEST_ADMIN.clientSecret).catch(() => undefined);
    }, renewEveryMs);
    renewal.unref();
    context.api = (path, init) => fhirFetch(context.server, context.medplum.getAccessToken() as string)(path, init);
  });
  afterAll(async () => {
    clearInterval(renewal);
    await context.server?.close();
  });
  return context;
}
