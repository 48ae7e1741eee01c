// Live worklist: websocket Subscriptions to alerts and readings (where the server offers them) report what changed.
import type { MedplumClient } from '@medplum/core';
import { useLiveChannel, type LiveHandlers, type LiveState } from '../../../shared/fhirLive/useLiveChannel.ts';

export type { LiveHandlers, LiveState } from '../../../shared/fhirLive/useLiveChannel.ts';

/** What the worklist listens to: any change to an alert or an Observation the user may read. */
export const LIVE_CRITERIA = ['DetectedIssue', 'Observation'];

/**
 * A Practitioner's own care teams (`CareTeam?participant=`): followed by the worklist once it has loaded
 * (useCaseloadChanges.ts), so a patient enrolled onto the caseload (or discharged from it) by someone else appears
 * (or goes) without Refresh. Nothing for another user.
 */
export function careTeamCriteria(fhirUser: string | undefined): string[] {
  return fhirUser?.startsWith('Practitioner/') ? [`CareTeam?participant=${fhirUser}`] : [];
}

/** Marks the Subscriptions this app creates (and finds again at the next launch). */
export const LIVE_REASON = 'Clinician worklist live updates';

/**
 * While mounted and enabled: the user's websocket Subscriptions (reused from an earlier launch, else created),
 * bound on one socket (apps/shared/fhirLive); notifications go to `onEvents` in short bursts. Servers without them:
 * 'unavailable'.
 */
export function useLiveUpdates(
  medplum: MedplumClient,
  enabled: boolean,
  handlers: LiveHandlers,
  /** The patient view adds `Communication` (messages); the same Subscriptions are reused across screens. */
  criteria: readonly string[] = LIVE_CRITERIA
): LiveState {
  return useLiveChannel(medplum, enabled, handlers, criteria, LIVE_REASON);
}
