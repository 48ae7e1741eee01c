// Who performs an alert action: the calling clinician (or their PractitionerRole), or the practitioner a system client names.
import { badRequest, isGone, isNotFound, OperationOutcomeError } from '@medplum/core';
import type { FhirRepository } from '@medplum/fhir-router';
import type { Practitioner, PractitionerRole } from '@medplum/fhirtypes';
import { forbiddenBecause } from '../access/checkType.ts';
import type { Caller } from '../auth/authenticate.ts';
import { PostgresRepository } from '../fhir/repository/postgresRepository.ts';
import type { PractitionerReference } from './operationParameters.ts';

/** The request's caller; undefined for the server's own work (and for repositories that do not know one). */
export function callerOf(repo: FhirRepository): Caller | undefined {
  return repo instanceof PostgresRepository ? repo.context.caller : undefined;
}

/** True for the server itself and client_credentials (system) tokens: no account behind the call. */
export function isSystemCaller(caller: Caller | undefined): boolean {
  return !caller?.subject;
}

/** A Practitioner or PractitionerRole read through `repo` (the caller's access applies); 400 when it is not there. */
export async function readPractitionerLike(
  repo: FhirRepository,
  reference: PractitionerReference,
  parameter = 'practitioner'
): Promise<Practitioner | PractitionerRole> {
  try {
    return await repo.readReference<Practitioner | PractitionerRole>(reference);
  } catch (err) {
    if (err instanceof OperationOutcomeError && (isNotFound(err.outcome) || isGone(err.outcome))) {
      throw new OperationOutcomeError(
        badRequest(
          `Parameter "${parameter}": ${reference.reference} was not found`,
          `Parameters.parameter.${parameter}`
        )
      );
    }
    throw err;
  }
}

/** The calling user's Practitioner reference; 403 unless a clinician or admin whose fhirUser is a Practitioner. */
export function callingPractitioner(caller: Caller, doing: string): PractitionerReference {
  const fhirUser = caller.fhirUser;
  if ((caller.role !== 'clinician' && caller.role !== 'admin') || !fhirUser?.startsWith('Practitioner/')) {
    throw new OperationOutcomeError(
      forbiddenBecause(`Only clinicians and admins (a Practitioner) may ${doing} alerts`)
    );
  }
  return { reference: fhirUser };
}

/**
 * The practitioner acknowledging or resolving: for a user, themselves (default), or one of their own PractitionerRoles
 * (another practitioner is 403: nobody acts in someone else's name); for a system client, the one it names (400
 * without one).
 */
export async function actingPractitioner(
  repo: FhirRepository,
  requested: PractitionerReference | undefined,
  doing: string
): Promise<PractitionerReference> {
  const caller = callerOf(repo);
  if (!caller || isSystemCaller(caller)) {
    if (!requested) {
      throw new OperationOutcomeError(
        badRequest(`A system client must name the practitioner who does this (parameter "practitioner")`)
      );
    }
    await readPractitionerLike(repo, requested);
    return requested;
  }
  const own = callingPractitioner(caller, doing);
  if (!requested || requested.reference === own.reference) {
    return own;
  }
  if (requested.reference.startsWith('PractitionerRole/')) {
    const role = (await readPractitionerLike(repo, requested)) as PractitionerRole;
    if (role.practitioner?.reference === own.reference) {
      return requested;
    }
  }
  throw new OperationOutcomeError(
    forbiddenBecause(`A user may ${doing} alerts only in their own name (${own.reference} or one of its roles)`)
  );
}
