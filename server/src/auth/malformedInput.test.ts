// Malformed input to the sign-in pages and launch API: clear 4xx answers, never a 500, nothing changed.
import { expect, test } from 'vitest';
import { useTestServer } from '../testing/testServer.ts';

const ctx = useTestServer();

test('sign-in steps for an unknown or forged interaction answer a 400 page', async () => {
  for (const step of ['login', 'mfa', 'enrol', 'patient', 'consent']) {
    const response = await fetch(`${ctx.server.baseUrl}/oauth2/interaction/forged-${step}/${step}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'email=a%40b.c&password=x&code=123456&patient=p&decision=allow',
    });
    expect(response.status, step).toBe(400);
    expect(await response.text()).toContain('Your sign-in has expired');
  }
  const page = await fetch(`${ctx.server.baseUrl}/oauth2/interaction/forged`);
  expect(page.status).toBe(400);
});

test('the launch API answers broken JSON and wrong types with 400 OperationOutcomes', async () => {
  const token = ctx.medplum.getAccessToken() as string;
  for (const body of ['{not json', '[]', '"patient"', JSON.stringify({ patient: 42 })]) {
    const response = await fetch(`${ctx.server.baseUrl}/oauth2/launch`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body,
    });
    expect(response.status, body).toBe(400);
    expect(((await response.json()) as { resourceType: string }).resourceType).toBe('OperationOutcome');
  }
});
