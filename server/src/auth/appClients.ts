// Our own two SMART apps as registered public clients (PKCE, no secret), created or updated at every start.
import { isDeepStrictEqual } from 'node:util';
import type { ServerConfig } from '../config.ts';
import type { Db } from '../db/pool.ts';
import { findClient, saveClient, type StoredClientMetadata } from './clients.ts';

export const CLINICIAN_APP_CLIENT_ID = 'rpm-clinician-app';
export const PATIENT_APP_CLIENT_ID = 'rpm-patient-app';

/** A public browser app: authorization code + PKCE, refresh tokens, no client secret. */
function publicApp(
  clientId: string,
  name: string,
  url: string,
  fhirScopes: string
): StoredClientMetadata & { rpm_first_party: boolean; rpm_launch_uri: string } {
  return {
    client_id: clientId,
    client_name: name,
    application_type: 'web',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: [url],
    post_logout_redirect_uris: [url],
    fhir_scopes: fhirScopes,
    rpm_first_party: true,
    rpm_launch_uri: `${url}launch.html`,
  };
}

/** The seeded app clients for this configuration. */
export function appClients(config: ServerConfig): StoredClientMetadata[] {
  return [
    publicApp(
      CLINICIAN_APP_CLIENT_ID,
      'RPM clinician workspace',
      config.clinicianAppUrl,
      'user/*.cruds user/*.* patient/*.cruds patient/*.*'
    ),
    publicApp(PATIENT_APP_CLIENT_ID, 'RPM for patients', config.patientAppUrl, 'patient/*.cruds patient/*.* user/*.rs'),
  ];
}

/** Creates the app clients, or brings them in line with the configuration (app URLs may change). */
export async function seedAppClients(pool: Db, config: ServerConfig): Promise<void> {
  for (const wanted of appClients(config)) {
    const existing = await findClient(pool, wanted.client_id);
    if (!existing || !isDeepStrictEqual(existing, wanted)) {
      await saveClient(pool, wanted);
    }
  }
}
