// A caller's access as the checks need it: the token (scopes, role) and, for user tokens, what each scope context reaches.
import type { Patient } from '@medplum/fhirtypes';
import type { Caller } from '../auth/authenticate.ts';
import type { ScopeContext } from '../auth/smartScopes.ts';
import type { Queryable } from '../db/pool.ts';
import { normalizeReference } from '../fhir/search/indexRows.ts';
import { isUserToken } from './grants.ts';
import { launchReach, loadAccountReach, NO_REACH, type Reach } from './reach.ts';

export interface CallerAccess {
  caller: Caller;
  /** This server's FHIR base, so that absolute references to its Patients count like relative ones. */
  fhirBaseUrl: string;
  /** What `user/` and `patient/` scopes reach; absent for system tokens, whose scopes are type-wide. */
  reach?: Readonly<Record<'user' | 'patient', Reach>>;
}

/** Loads the reach of a user token (one query for clinicians, admins and carers; none for patients). */
export async function loadCallerAccess(db: Queryable, caller: Caller, fhirBaseUrl: string): Promise<CallerAccess> {
  if (!isUserToken(caller)) {
    return { caller, fhirBaseUrl };
  }
  const user = await loadAccountReach(db, caller, fhirBaseUrl);
  const owner = caller.subject;
  return {
    caller,
    fhirBaseUrl,
    reach: {
      user: { ...user, owner, everyOwner: caller.role === 'admin' },
      patient: { ...launchReach(caller, user), owner },
    },
  };
}

/** The reach of a scope's context (system scopes never reach here with a reach: they are type-wide). */
export function reachOf(access: CallerAccess, context: ScopeContext): Reach {
  return context === 'system' ? NO_REACH : (access.reach?.[context] ?? NO_REACH);
}

/**
 * The access after this request created a Patient within the account's reach (one of its Organizations): later
 * entries of the same transaction (the enrolment's CareTeam and CarePlan) reach the new patient, as the next request
 * would.
 */
export function withCreatedPatient(access: CallerAccess, patient: Patient): CallerAccess {
  const user = access.reach?.user;
  const organization = patient.managingOrganization?.reference;
  if (!user || !patient.id || !organization || !user.organizations.has(normalizeReference(organization))) {
    return access;
  }
  const add = (set: ReadonlySet<string> | undefined): Set<string> => new Set([...(set ?? []), patient.id as string]);
  return {
    ...access,
    reach: {
      ...access.reach,
      user: { ...user, patients: add(user.patients), organizationPatients: add(user.organizationPatients) },
    } as CallerAccess['reach'],
  };
}
