// Consent: which patient the app opens with (EHR launch, own record, or chosen), and the Grant the user approves.
import type { Request, Response } from 'express';
import type Provider from 'oidc-provider';
import type { Db } from '../../db/pool.ts';
import { grantableUserScopes, SMART_STATIC_SCOPES } from '../fhirResourceServer.ts';
import { findLaunch, saveGrantContext, type LaunchContext } from '../launch/launchContext.ts';
import { splitScopes } from '../smartScopes.ts';
import type { PatientChoice } from './pages.ts';
import { findPatientInReach, patientCaredForBy, type SignedInUser } from './patientDirectory.ts';

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

export type LaunchPatient =
  | { kind: 'ready'; patient?: PatientChoice; context?: LaunchContext }
  | { kind: 'choose' }
  | { kind: 'refused'; message: string };

export interface ConsentDecision {
  details: Details;
  user: SignedInUser;
  patient?: PatientChoice;
  launch?: LaunchContext;
}

/** Declared (static) scopes go on the grant's OpenID part too, so that the id_token and refresh token follow them. */
const OIDC_SCOPES = new Set<string>(SMART_STATIC_SCOPES);

/** A grant's context is kept as long as its refresh tokens may live. */
export const GRANT_CONTEXT_TTL_SECONDS = 400 * 24 * 3600;

/**
 * Decides the patient context:
 * - EHR launch (`launch`): the EHR's patient, only if the user may see them and the launch was for this user.
 * - Standalone with `launch/patient`: a patient's own record, a carer's cared-for person, or for staff a patient
 *   they choose from those they may see.
 * - Otherwise no patient context.
 */
export async function resolveLaunchPatient(input: {
  pool: Db;
  fhirBaseUrl: string;
  details: Details;
  user: SignedInUser;
  chosenPatient?: string;
}): Promise<LaunchPatient> {
  const { pool, fhirBaseUrl, details, user, chosenPatient } = input;
  const scopes = new Set(splitScopes(details.params.scope as string | undefined));
  const launchValue = details.params.launch as string | undefined;
  if (launchValue) {
    const context = await findLaunch(pool, launchValue);
    if (!context) {
      return {
        kind: 'refused',
        message: 'The launch from your record system has expired. Open the app from it again.',
      };
    }
    if (context.practitioner && context.practitioner !== user.fhirUser) {
      return {
        kind: 'refused',
        message: 'This launch was started by another user. Open the app from your own session.',
      };
    }
    if (!context.patient || !scopes.has('launch')) {
      return { kind: 'ready', context };
    }
    const patient = await findPatientInReach(pool, fhirBaseUrl, user, context.patient);
    if (!patient) {
      return { kind: 'refused', message: 'You do not have access to the patient this app was opened for.' };
    }
    return { kind: 'ready', patient, context };
  }
  if (!scopes.has('launch/patient')) {
    return { kind: 'ready' };
  }
  const ownId =
    user.role === 'patient'
      ? user.fhirUser.split('/')[1]
      : user.role === 'carer'
        ? await patientCaredForBy(pool, fhirBaseUrl, user)
        : chosenPatient;
  if (!ownId) {
    return user.role === 'carer'
      ? { kind: 'refused', message: 'Your account is not linked to the person you care for yet.' }
      : { kind: 'choose' };
  }
  const patient = await findPatientInReach(pool, fhirBaseUrl, user, ownId);
  if (!patient) {
    return user.role === 'clinician' || user.role === 'admin'
      ? { kind: 'choose' }
      : { kind: 'refused', message: 'Your health record could not be found. Contact your care team.' };
  }
  return { kind: 'ready', patient };
}

/** Saves the approved Grant and its launch context, then lets oidc-provider send the code to the app. */
export async function finishConsent(
  provider: Provider,
  pool: Db,
  fhirBaseUrl: string,
  req: Request,
  res: Response,
  decision: ConsentDecision
): Promise<void> {
  const { details, user, patient, launch } = decision;
  const client = await provider.Client.find(user.clientId);
  if (!client) {
    throw new Error(`Client ${user.clientId} disappeared during sign-in`);
  }
  const granted = grantableUserScopes(splitScopes(details.params.scope as string | undefined), client);
  const grant = details.grantId
    ? ((await provider.Grant.find(details.grantId)) ??
      new provider.Grant({ accountId: user.accountId, clientId: user.clientId }))
    : new provider.Grant({ accountId: user.accountId, clientId: user.clientId });
  const oidc = granted.filter((scope) => OIDC_SCOPES.has(scope));
  if (oidc.length > 0) {
    grant.addOIDCScope(oidc.join(' '));
  }
  grant.addResourceScope(fhirBaseUrl, granted.join(' '));
  const grantId = await grant.save();
  await saveGrantContext(
    pool,
    grantId,
    {
      fhirUser: user.fhirUser,
      role: user.role,
      ...(patient ? { patient: patient.id, need_patient_banner: launch?.need_patient_banner ?? true } : {}),
      ...(launch?.encounter && granted.includes('launch') ? { encounter: launch.encounter } : {}),
      ...(launch?.smart_style_url ? { smart_style_url: launch.smart_style_url } : {}),
    },
    GRANT_CONTEXT_TTL_SECONDS
  );
  await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}
