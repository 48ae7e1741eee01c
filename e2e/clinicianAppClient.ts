// The clinician SMART app on a test server: built if stale, and registered as a first-party client of its own.
import { ensureClinicianAppBuilt } from '../apps/clinician-smart-app/build/ensureBuilt.ts';
import type { TestServerContext } from '../server/src/testing/testServer.ts';
import { randomSuffix, registerClient } from './support.ts';

export interface ClinicianAppClient {
  /** A client id of this test file's own (the seeded rpm-clinician-app points at the fixed app URL). */
  clientId: string;
  /** Where the server serves the app: `<base>/apps/clinician/`. */
  appUrl: string;
}

/**
 * Builds apps/clinician-smart-app/dist when it is missing or older than its sources (a few seconds), then registers
 * a first-party public client (PKCE, refresh tokens) whose redirect is the app and whose launch URI is its
 * launch page, with every user and patient scope the app may ask for.
 */
export async function registerClinicianApp(ctx: TestServerContext, name: string): Promise<ClinicianAppClient> {
  await ensureClinicianAppBuilt();
  const clientId = `e2e-clinician-${name}-${randomSuffix()}`;
  const appUrl = `${ctx.server.baseUrl}/apps/clinician/`;
  await registerClient(ctx, {
    client_id: clientId,
    client_name: `RPM clinician workspace (E2E ${name})`,
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: [appUrl],
    fhir_scopes: 'user/*.cruds user/*.* patient/*.cruds patient/*.*',
    rpm_first_party: true,
    rpm_launch_uri: `${appUrl}launch.html?clientId=${clientId}`,
  });
  return { clientId, appUrl };
}
