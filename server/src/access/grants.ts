// The scopes that grant a caller an interaction on a type: the token's scopes, narrowed by the caller's role.
import type { Caller } from '../auth/authenticate.ts';
import { scopesFor, type Interaction, type ScopeContext, type SmartScope } from '../auth/smartScopes.ts';
import { isClinicianCareTeamWrite } from './careTeamWrites.ts';
import { isPatientSideMessageDelete } from './patientMessageWrites.ts';
import { isPatientDeviceWrite } from './patientDeviceWrites.ts';
import { APPEND_ONLY_TYPES, categoryOf, RELATIONSHIP_TYPES } from './typeRules.ts';

/** User tokens carry an account (`subject`); system (client_credentials) tokens do not. */
export function isUserToken(caller: Caller): boolean {
  return caller.subject !== undefined;
}

/** The scope contexts that count for the caller: `system/` for system tokens, `patient/` and `user/` for users. */
export function scopeContexts(caller: Caller): ScopeContext[] {
  return isUserToken(caller) ? ['patient', 'user'] : ['system'];
}

const WRITES: ReadonlySet<Interaction> = new Set<Interaction>(['create', 'update', 'delete']);

/** Why no scope grants the interaction, for the 403; undefined when one does. */
export type Refusal = 'scope' | 'role' | 'append-only' | 'server-written';

/**
 * The scopes under which the caller may perform the interaction on the type (`*`: on some type), before looking at
 * any resource. System tokens: `system/` scopes without a granular query, as before user tokens existed. User
 * tokens: `patient/` and `user/` scopes (granular ones too), minus what the role never allows (writes of directory,
 * relationship and restricted types need an admin's `user/` scope, except a clinician's CareTeam create and update and a patient's own Device create and update; restricted types are admin-only altogether; owned
 * types are open to every role, each user reaching their own).
 */
export function grantingScopes(caller: Caller, resourceType: string, interaction: Interaction): SmartScope[] {
  return refusalOrScopes(caller, resourceType, interaction).scopes;
}

export function refusalOrScopes(
  caller: Caller,
  resourceType: string,
  interaction: Interaction
): { scopes: SmartScope[]; refusal?: Refusal } {
  if (APPEND_ONLY_TYPES.has(resourceType) && (interaction === 'update' || interaction === 'delete')) {
    return { scopes: [], refusal: 'append-only' };
  }
  if (!isUserToken(caller)) {
    const scopes = scopesFor(caller.scopes, ['system'], resourceType, interaction).filter((s) => !s.query);
    return scopes.length > 0 ? { scopes } : { scopes, refusal: 'scope' };
  }
  if (APPEND_ONLY_TYPES.has(resourceType) && interaction === 'create') {
    return { scopes: [], refusal: 'server-written' };
  }
  const covering = scopesFor(caller.scopes, ['patient', 'user'], resourceType, interaction);
  if (covering.length === 0) {
    return { scopes: [], refusal: 'scope' };
  }
  const scopes = covering.filter((s) => roleMay(caller, s.context, resourceType, interaction));
  return scopes.length > 0 ? { scopes } : { scopes, refusal: 'role' };
}

function roleMay(caller: Caller, context: ScopeContext, resourceType: string, interaction: Interaction): boolean {
  if (resourceType === '*') {
    return true; // system-level history: decided per type
  }
  const admin = caller.role === 'admin' && context === 'user';
  switch (categoryOf(resourceType)) {
    case 'restricted':
      return admin;
    case 'owned':
      return true; // each their own (checkRead.ts, checkWrite.ts)
    case 'directory':
      // A patient's own Bluetooth-paired Device: create and update, per resource in patientDeviceWrites.ts.
      return admin || !WRITES.has(interaction) || isPatientDeviceWrite(caller, context, resourceType, interaction);
    case 'compartment':
      if (isPatientSideMessageDelete(caller, resourceType, interaction)) {
        return false; // Patients and carers never delete a message (patientMessageWrites.ts).
      }
      return (
        admin ||
        !WRITES.has(interaction) ||
        !RELATIONSHIP_TYPES.has(resourceType) ||
        // Enrolment: a clinician's `user/` scope creates and updates (never deletes) CareTeams, per resource in
        // careTeamWrites.ts (their organization's patient, themselves on the team).
        (caller.role === 'clinician' && context === 'user' && isClinicianCareTeamWrite(resourceType, interaction))
      );
  }
}
