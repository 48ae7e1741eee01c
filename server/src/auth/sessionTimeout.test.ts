// Sign-in sessions: a second authorization reuses the session while it is in use, and it ends after idle time.
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { ServerConfig } from '../config.ts';
import type { RunningServer } from '../server.ts';
import { FormBrowser } from '../testing/formBrowser.ts';
import { authorizeUrl, createPatientPerson, newPkce, redirectParams, signIn } from '../testing/smartFlow.ts';
import { startTestServer } from '../testing/testServer.ts';
import { PATIENT_APP_CLIENT_ID } from './appClients.ts';

let server: RunningServer & { config: ServerConfig };

beforeAll(async () => {
  server = await startTestServer({ RPM_SESSION_IDLE_SECONDS: '2' });
});
afterAll(() => server?.close());

test('the session carries the next authorization, and is gone after the idle timeout', async () => {
  const patient = await createPatientPerson(server);
  const redirectUri = server.config.patientAppUrl;
  const browser = new FormBrowser(redirectUri);
  const authorize = () =>
    browser.get(
      authorizeUrl(server, {
        clientId: PATIENT_APP_CLIENT_ID,
        redirectUri,
        scope: 'openid launch/patient patient/*.rs',
        pkce: newPkce(),
      })
    );
  const first = await signIn(browser, await authorize(), patient);
  expect(redirectParams(first).get('code')).toBeTruthy();

  // Still in use: no sign-in page.
  expect(redirectParams(await authorize()).get('code')).toBeTruthy();

  // Idle for well over the timeout (the margin covers a slow, loaded machine): the user must sign in again.
  await new Promise((resolve) => setTimeout(resolve, 6_000));
  const after = await authorize();
  expect(after.status, after.text.slice(0, 2000)).toBe(200);
  expect(after.text).toContain('Sign in');
});
