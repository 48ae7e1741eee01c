// What the app asks the SMART server for at launch: client id, FHIR server (iss), patient scopes and where to come back.
import type FHIR from 'fhirclient';

type AuthorizeParams = Parameters<typeof FHIR.oauth2.authorize>[0];

/** The first-party client the RPM server registers for this app (server/src/auth/appClients.ts). */
export const DEFAULT_CLIENT_ID = 'rpm-patient-app';

/**
 * A standalone patient launch: the signed-in patient is the launch patient (`launch/patient`); read and write only
 * their own record (`patient/*.cruds`: readings, check-ins, messages); stay signed in on the phone (`offline_access`).
 */
export const PATIENT_SCOPES = ['launch/patient', 'openid', 'fhirUser', 'offline_access', 'patient/*.cruds'];

/**
 * Authorize parameters from launch.html's address: `iss` (else `defaultIss`, else the FHIR base of the server serving
 * the app) and an optional `clientId` for a server where the app is registered under another id. The redirect URI is
 * the app's folder (`/apps/patient/`), as registered.
 */
export function launchOptions(location: URL, defaultIss?: string): AuthorizeParams {
  const params = location.searchParams;
  return {
    clientId: params.get('clientId') ?? DEFAULT_CLIENT_ID,
    iss: params.get('iss') ?? defaultIss ?? new URL('/fhir/R4', location.origin).toString(),
    scope: PATIENT_SCOPES.join(' '),
    redirectUri: new URL('./', location).toString(),
    pkceMode: 'required',
  };
}
