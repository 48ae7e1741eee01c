// What the app asks the SMART server for at launch: client id, FHIR server (iss), scopes and where to come back.
import type FHIR from 'fhirclient';

type AuthorizeParams = Parameters<typeof FHIR.oauth2.authorize>[0];

/** The first-party client the RPM server registers for this app (server/src/auth/appClients.ts). */
export const DEFAULT_CLIENT_ID = 'rpm-clinician-app';

/**
 * Read everything (caseload, readings, alerts); update alerts and write the Tasks and Communications the alert
 * operations ($acknowledge, $resolve, $escalate) record; enrol (Patient, CareTeam, CarePlan) and discharge; create and remove the app's own Subscriptions. `launch` only in an EHR launch: a standalone launch opens
 * the caseload, not a patient picker.
 */
export const CLINICIAN_SCOPES = [
  'openid',
  'fhirUser',
  'offline_access',
  'user/*.rs',
  'user/DetectedIssue.u',
  'user/Task.cu',
  // Messages to the patient, and marking the patient's messages as read (`received`) when the thread is viewed.
  'user/Communication.cu',
  // Enrolment and discharge: a new Patient, their CareTeam and monitoring CarePlan; ending both at discharge.
  'user/Patient.c',
  'user/CareTeam.cu',
  'user/CarePlan.cu',
  // Patient thresholds (Goal overrides) from the patient view.
  'user/Goal.cu',
  // The worklist's own websocket Subscriptions (live updates), where the server offers them.
  'user/Subscription.cd',
];

/**
 * Authorize parameters from launch.html's address: `iss` and `launch` from the EHR (or `iss` typed in a standalone
 * launch; else `defaultIss`, else the FHIR base of the server serving the app), and an optional `clientId` for a server where the app is
 * registered under another id. The redirect URI is the app's folder (`/apps/clinician/`), as registered.
 */
export function launchOptions(location: URL, defaultIss?: string): AuthorizeParams {
  const params = location.searchParams;
  const launch = params.get('launch') ?? undefined;
  const iss = params.get('iss') ?? defaultIss ?? new URL('/fhir/R4', location.origin).toString();
  return {
    clientId: params.get('clientId') ?? DEFAULT_CLIENT_ID,
    iss,
    ...(launch ? { launch } : {}),
    scope: [...(launch ? ['launch'] : []), ...CLINICIAN_SCOPES].join(' '),
    redirectUri: new URL('./', location).toString(),
    pkceMode: 'required',
  };
}
