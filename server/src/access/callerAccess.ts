// A caller's access as the checks need it: the token (scopes, role) and, for user tokens, what each scope context reaches.
import type { Caller } from '../auth/authenticate.ts';
import type { ScopeContext } from '../auth/smartScopes.ts';
import type { Queryable } from '../db/pool.ts';
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
