// Who may call Device $assign/$unassign: clinicians and admins whose token may write Devices, and system clients that may.
import { OperationOutcomeError } from '@medplum/core';
import { refusalOrScopes } from '../access/grants.ts';
import { forbiddenBecause } from '../access/checkType.ts';
import type { Caller } from '../auth/authenticate.ts';

/**
 * Device writes stay admin-only in the API (directory type, server/src/access/typeRules.ts); the assignment operations
 * are the one way a clinician changes a Device, and only its `patient`. This is the type-level gate (403):
 * - the server itself: allowed;
 * - system tokens: a `system/` scope allowing Device update (the usual type check);
 * - users: role clinician or admin, and `user/` (or `patient/`) scopes that would allow Device update but for the role.
 * The reach checks (the device's current holder and the new patient both reached) are the operation's reads.
 */
export function assertMayAssignDevices(caller: Caller | undefined): void {
  if (!caller) {
    return;
  }
  const { refusal } = refusalOrScopes(caller, 'Device', 'update');
  if (!caller.subject) {
    if (refusal) {
      throw new OperationOutcomeError(
        forbiddenBecause("The access token's scopes do not allow assigning Devices (system/Device.u)")
      );
    }
    return;
  }
  if (caller.role !== 'clinician' && caller.role !== 'admin') {
    throw new OperationOutcomeError(forbiddenBecause(`A ${caller.role ?? 'user'} account may not assign devices`));
  }
  if (refusal === 'scope') {
    throw new OperationOutcomeError(
      forbiddenBecause("The access token's scopes do not allow assigning Devices (user/Device.u)")
    );
  }
}
