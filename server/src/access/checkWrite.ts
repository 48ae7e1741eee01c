// Write rule: the resource before the change must be visible (else 404) and writable, and after it writable (else 403).
import { notFound, OperationOutcomeError } from '@medplum/core';
import type { Patient, PractitionerRole, Reference, Resource } from '@medplum/fhirtypes';
import type { Interaction, SmartScope } from '../auth/smartScopes.ts';
import { normalizeReference } from '../fhir/search/indexRows.ts';
import { clinicianMayWriteCareTeam } from './careTeamWrites.ts';
import { reachOf, type CallerAccess } from './callerAccess.ts';
import { inReadReach, memo, ownedInReach } from './checkRead.ts';
import { forbiddenBecause } from './checkType.ts';
import { compartmentPatients } from './compartmentPatients.ts';
import { grantingScopes } from './grants.ts';
import { patientMayWriteDevice } from './patientDeviceWrites.ts';
import type { Reach } from './reach.ts';
import { matchesScopeQuery } from './scopeQuery.ts';
import { categoryOf } from './typeRules.ts';

function referenceOf(reference: Reference | undefined): string | undefined {
  return reference?.reference ? normalizeReference(reference.reference) : undefined;
}

/**
 * Whether the reach holds the resource for writing (the role was already checked: only admins' `user/` scopes grant
 * directory, relationship and restricted writes):
 * - patient data: every Patient whose compartment holds it is reached (and there is one): nobody writes into the
 *   record of a patient they do not reach, e.g. an Observation about another patient with themselves as performer;
 * - a Patient: it is reached, or (creating one) its managingOrganization is one of the account's Organizations;
 * - a PractitionerRole: its organization, if any, is one of the admin's (admins cannot open other organizations);
 * - a Device naming patients: they are all reached; other directory and restricted resources: always;
 * - owned resources: the caller's own (the server tags what a user writes as theirs), or any for an admin;
 * - a clinician's CareTeam (create, update): also careTeamWrites.ts (their organization's patient, themselves on it).
 * - a patient's Device (create, update): also patientDeviceWrites.ts (held by themselves, and no one else).
 */
export function inWriteReach(reach: Reach, resource: Resource, patients: () => string[]): boolean {
  switch (categoryOf(resource.resourceType)) {
    case 'restricted':
      return true;
    case 'owned':
      return ownedInReach(reach, resource);
    case 'directory': {
      if (resource.resourceType === 'PractitionerRole') {
        const organization = referenceOf((resource as PractitionerRole).organization);
        return organization === undefined || reach.organizations.has(organization);
      }
      return patients().every((p) => reach.patients.has(p));
    }
    case 'compartment': {
      if (resource.resourceType === 'Patient') {
        const organization = referenceOf((resource as Patient).managingOrganization);
        return (
          reach.patients.has(resource.id ?? '') || (organization !== undefined && reach.organizations.has(organization))
        );
      }
      const held = patients();
      return held.length > 0 && held.every((p) => reach.patients.has(p));
    }
  }
}

function writableUnder(access: CallerAccess, scopes: SmartScope[], resource: Resource): boolean {
  const patients = memo(() => compartmentPatients(resource, access.fhirBaseUrl));
  // grants.ts lets a clinician's `user/` scopes write CareTeams only under the enrolment rule.
  const clinicianTeam = resource.resourceType === 'CareTeam' && access.caller.role === 'clinician';
  // grants.ts lets a patient's `patient/` scopes write Devices only when the Device is theirs alone.
  const patientDevice = resource.resourceType === 'Device' && access.caller.role === 'patient';
  return scopes.some(
    (s) =>
      inWriteReach(reachOf(access, s.context), resource, patients) &&
      (!clinicianTeam ||
        clinicianMayWriteCareTeam(reachOf(access, s.context), resource, patients, access.fhirBaseUrl)) &&
      (!patientDevice || patientMayWriteDevice(access.caller, reachOf(access, s.context), patients)) &&
      matchesScopeQuery(s, resource)
  );
}

/**
 * The resource as it is before an update or delete: 404 unless a scope granting the interaction sees it (like a
 * missing id), 403 when seen but not writable. System tokens passed the type check already.
 */
export function assertWritableBefore(access: CallerAccess, before: Resource, interaction: Interaction): void {
  if (!access.reach) {
    return;
  }
  const scopes = grantingScopes(access.caller, before.resourceType, interaction);
  const patients = memo(() => compartmentPatients(before, access.fhirBaseUrl));
  const visible = scopes.some(
    (s) => inReadReach(reachOf(access, s.context), before, patients) && matchesScopeQuery(s, before)
  );
  if (!visible) {
    throw new OperationOutcomeError(notFound);
  }
  if (!writableUnder(access, scopes, before)) {
    throw new OperationOutcomeError(
      forbiddenBecause(`This token may read ${before.resourceType}/${before.id} but not ${interaction} it`)
    );
  }
}

/** The resource as a create or update would leave it: 403 unless it stays within what the token may write. */
export function assertWritableAfter(
  access: CallerAccess,
  before: Resource | undefined,
  after: Resource,
  interaction: Interaction
): void {
  if (!access.reach) {
    return;
  }
  const scopes = grantingScopes(access.caller, after.resourceType, interaction);
  if (!writableUnder(access, scopes, after)) {
    throw new OperationOutcomeError(
      forbiddenBecause(
        `The ${after.resourceType} would be outside what this token may write (a patient's data must stay in the compartments of patients it reaches)`
      )
    );
  }
  assertOrganizationUnchanged(access, before, after);
}

/** Moving a Patient to another Organization changes who reaches them: only admins may, and only to their own. */
function assertOrganizationUnchanged(access: CallerAccess, before: Resource | undefined, after: Resource): void {
  if (!before || before.resourceType !== 'Patient' || after.resourceType !== 'Patient') {
    return;
  }
  const from = referenceOf((before as Patient).managingOrganization);
  const to = referenceOf((after as Patient).managingOrganization);
  if (from === to) {
    return;
  }
  const admin = access.caller.role === 'admin';
  if (!admin || (to !== undefined && !reachOf(access, 'user').organizations.has(to))) {
    throw new OperationOutcomeError(
      forbiddenBecause(
        'Only an admin may change Patient.managingOrganization, and only to one of their own Organizations'
      )
    );
  }
}
