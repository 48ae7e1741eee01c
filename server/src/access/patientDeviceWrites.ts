// Patient-paired devices: a patient's `patient/` scope creates and updates the Device they read, held by themselves only.
import type { Caller } from '../auth/authenticate.ts';
import type { Interaction, ScopeContext } from '../auth/smartScopes.ts';
import type { Reach } from './reach.ts';

/**
 * Devices are directory resources (admins write them), except the one a patient pairs with the patient app over
 * Bluetooth: a patient's `patient/` scope (never `user/`, never another role) may create it and update it (firmware
 * version changes), never delete it. Which Device is decided per resource by `patientMayWriteDevice`.
 */
export function isPatientDeviceWrite(
  caller: Caller,
  context: ScopeContext,
  resourceType: string,
  interaction: Interaction
): boolean {
  return (
    caller.role === 'patient' &&
    context === 'patient' &&
    resourceType === 'Device' &&
    (interaction === 'create' || interaction === 'update')
  );
}

/**
 * A patient's Device, before and after the change: its `patient` is the caller's own Patient (their `fhirUser`), in
 * reach, and no other. A Device without a holder (stock) or another patient's is not theirs to write; since the
 * version before an update must already be theirs, a patient never takes over, hands on or releases a Device (holders
 * change only through `$assign`/`$unassign`, server/src/devices/README.md).
 */
export function patientMayWriteDevice(caller: Caller, reach: Reach, patients: () => string[]): boolean {
  const held = patients();
  return held.length === 1 && reach.patients.has(held[0]) && caller.fhirUser === `Patient/${held[0]}`;
}
