// When the database goes away, the API answers 503 OperationOutcomes (retry later), never 400 or a bare 500.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { OperationOutcome } from '@medplum/fhirtypes';
import { createTestDatabase, type TestDatabase } from '../testing/testDatabase.ts';
import { adminClient, fhirFetch, startTestServer } from '../testing/testServer.ts';

describe('database unavailable', () => {
  let database: TestDatabase;
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let api: ReturnType<typeof fhirFetch>;

  beforeAll(async () => {
    database = await createTestDatabase('rpm_unavailable');
    server = await startTestServer({ DATABASE_URL: database.url });
    const medplum = await adminClient(server);
    api = fhirFetch(server, medplum.getAccessToken() as string);
    expect((await api('Patient?_count=1')).status).toBe(200);
    await database.drop(); // the database disappears under the running server
  });
  afterAll(() => server?.close());

  test.each([
    ['read', 'Patient/123', undefined],
    ['search', 'Patient?name=x', undefined],
    ['history', '_history', undefined],
    ['create', 'Patient', { method: 'POST', body: JSON.stringify({ resourceType: 'Patient' }) }],
  ])('%s answers 503 with an OperationOutcome', async (_name, path, init) => {
    const res = await api(path, init as RequestInit | undefined);
    expect(res.status).toBe(503);
    const outcome = (await res.json()) as OperationOutcome;
    expect(outcome.resourceType).toBe('OperationOutcome');
    expect(outcome.issue?.[0].details?.text).toMatch(/database is unavailable/);
  });

  test('the health check reports it', async () => {
    const res = await fetch(`${server.baseUrl}/healthz`);
    expect(res.status).toBe(503);
  });
});
