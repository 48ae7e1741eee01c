// Secure messages written by patients and carers: their own messages to their care team, and "read" marks only.
import { OperationOutcomeError } from '@medplum/core';
import type { Communication, Reference, Resource } from '@medplum/fhirtypes';
import { isDeepStrictEqual } from 'node:util';
import type { Caller } from '../auth/authenticate.ts';
import type { Interaction } from '../auth/smartScopes.ts';
import type { Queryable } from '../db/pool.ts';
import { normalizeReference } from '../fhir/search/indexRows.ts';
import { reachOf, type CallerAccess } from './callerAccess.ts';
import { forbiddenBecause } from './checkType.ts';
import { localPatientId, patientRefs } from './compartmentPatients.ts';

/**
 * Communication is patient-compartment data, so the compartment rule alone would let a patient (or carer) edit or
 * delete a clinician's message to them, or send one "from" someone else. For these roles this narrower rule applies
 * on top of the compartment rule; clinicians and admins keep the compartment rule alone.
 */
export function isPatientSideMessage(caller: Caller, resourceType: string): boolean {
  return resourceType === 'Communication' && (caller.role === 'patient' || caller.role === 'carer');
}

/** Patients and carers never delete a message (grants.ts refuses before anything is looked up). */
export function isPatientSideMessageDelete(caller: Caller, resourceType: string, interaction: Interaction): boolean {
  return interaction === 'delete' && isPatientSideMessage(caller, resourceType);
}

/** Who a message may be addressed to: a member of the patient's care team, or the CareTeam itself. */
const CARE_TEAM_RECIPIENT = /^(Practitioner|PractitionerRole|CareTeam)\/[A-Za-z0-9\-.]{1,64}$/;

/** A reference as stored, relative when it points to this server (absolute form under the base, `_history` cut). */
function localReference(reference: Reference | undefined, fhirBaseUrl: string): string | undefined {
  if (!reference?.reference) {
    return undefined;
  }
  const ref = normalizeReference(reference.reference);
  const base = fhirBaseUrl.replace(/\/+$/, '') + '/';
  return ref.startsWith(base) ? ref.slice(base.length) : ref;
}

/** The message as a comparison sees it: without what the server stamps and without `received`. */
function withoutReceipt(message: Communication): object {
  const { meta, received: _received, ...rest } = message;
  const { versionId: _v, lastUpdated: _l, ...otherMeta } = meta ?? {};
  return { ...rest, meta: otherMeta };
}

/**
 * Why the caller (a patient or carer) may not write this message, in words; undefined when the rule allows it (the
 * care-team recipients are checked against the database separately, careTeamRecipientProblem):
 * - create: `sender` is the caller themselves (their Patient; a carer's own RelatedPerson), `subject` is the patient
 *   they reach, and there is at least one recipient, each a Practitioner, PractitionerRole or CareTeam reference;
 * - update: only to mark a message sent to them as received: the caller is a recipient, nothing but `received`
 *   changes, and a `received` already set stays as it is.
 */
export function patientMessageProblem(
  access: CallerAccess,
  before: Communication | undefined,
  after: Communication
): string | undefined {
  const me = access.caller.fhirUser;
  if (!me) {
    return 'This account has no FHIR identity (fhirUser), so it cannot write messages';
  }
  const base = access.fhirBaseUrl;
  if (before) {
    if (!(before.recipient ?? []).some((r) => localReference(r, base) === me)) {
      return `Only a recipient may change a message, and only to mark it as read (${me} is not a recipient of Communication/${before.id})`;
    }
    if (!isDeepStrictEqual(withoutReceipt(before), withoutReceipt(after))) {
      return 'A message you received may only be marked as read (Communication.received); nothing else may change';
    }
    if (before.received && before.received !== after.received) {
      return 'This message was already marked as read; the time it was read cannot change';
    }
    return undefined;
  }
  if (localReference(after.sender, base) !== me) {
    return `A message you write must be sent from you: Communication.sender must be ${me}`;
  }
  const subject = localReference(after.subject, base);
  const subjectId = subject ? localPatientId(subject, base) : undefined;
  if (!subjectId || !reachOf(access, 'user').patients.has(subjectId)) {
    return 'A message you write must be about the patient you look after: Communication.subject must be that Patient';
  }
  const recipients = (after.recipient ?? []).map((r) => localReference(r, base));
  if (recipients.length === 0) {
    return 'A message must have a recipient from the care team (Communication.recipient)';
  }
  const others = recipients.filter((r) => !r || !CARE_TEAM_RECIPIENT.test(r));
  if (others.length > 0) {
    return `Messages go to the care team only: each recipient must be a Practitioner, PractitionerRole or CareTeam (not ${others.map((r) => r ?? 'a reference without a target').join(', ')})`;
  }
  return undefined;
}

/**
 * Of these recipients, those on a CareTeam whose `subject` is the patient (a `participant.member` of it), or that
 * CareTeam itself. One indexed statement over the reference index; the team's status is not checked (as for reach).
 */
const CARE_TEAM_RECIPIENTS_SQL = `
WITH teams AS (
  SELECT s.resource_id AS id FROM search_reference s
  WHERE s.resource_type = 'CareTeam' AND s.param = 'subject' AND s.ref = ANY($1::text[])
)
SELECT m.ref AS recipient FROM search_reference m
  WHERE m.resource_type = 'CareTeam' AND m.param = 'participant' AND m.ref = ANY($2::text[])
    AND m.resource_id IN (SELECT id FROM teams)
UNION
SELECT ('CareTeam/' || id) COLLATE "C" FROM teams WHERE ('CareTeam/' || id) = ANY($2::text[])`;

/** The recipients of a new message that are not on the patient's care team (empty when all are). */
export async function outsideCareTeam(db: Queryable, message: Communication, fhirBaseUrl: string): Promise<string[]> {
  const subject = localReference(message.subject, fhirBaseUrl);
  const patientId = subject ? localPatientId(subject, fhirBaseUrl) : undefined;
  const recipients = [
    ...new Set((message.recipient ?? []).map((r) => localReference(r, fhirBaseUrl) ?? '').filter(Boolean)),
  ];
  if (!patientId || recipients.length === 0) {
    return recipients;
  }
  const { rows } = await db.query(CARE_TEAM_RECIPIENTS_SQL, [patientRefs([patientId], fhirBaseUrl), recipients]);
  const onTeam = new Set((rows as { recipient: string }[]).map((r) => r.recipient));
  return recipients.filter((r) => !onTeam.has(r));
}

/**
 * 403 unless a patient's or carer's write of a Communication follows the rule (patientMessageProblem, then, for a
 * new message, every recipient on the patient's care team). Other callers and types: nothing to check.
 */
export async function assertPatientMessageWrite(
  db: Queryable,
  access: CallerAccess,
  before: Resource | undefined,
  after: Resource
): Promise<void> {
  if (!isPatientSideMessage(access.caller, after.resourceType)) {
    return;
  }
  const message = after as Communication;
  const problem = patientMessageProblem(access, before as Communication | undefined, message);
  if (problem) {
    throw new OperationOutcomeError(forbiddenBecause(problem));
  }
  if (!before) {
    const outside = await outsideCareTeam(db, message, access.fhirBaseUrl);
    if (outside.length > 0) {
      throw new OperationOutcomeError(
        forbiddenBecause(
          `Messages go to the patient's care team only; not on a CareTeam of this patient: ${outside.join(', ')}`
        )
      );
    }
  }
}
