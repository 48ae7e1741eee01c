// Enrolment rule: a clinician creates or updates a CareTeam for their organization's patient with themselves on it.
import { OperationOutcomeError } from '@medplum/core';
import type { CareTeam, Reference, Resource } from '@medplum/fhirtypes';
import type { Interaction } from '../auth/smartScopes.ts';
import type { Queryable } from '../db/pool.ts';
import { normalizeReference } from '../fhir/search/indexRows.ts';
import { forbiddenBecause } from './checkType.ts';
import { localPatientId } from './compartmentPatients.ts';
import type { Reach } from './reach.ts';

/**
 * CareTeams decide who reaches a patient (reach.ts), so only admins write them, except for this narrow case a
 * clinician needs to enrol and discharge: create and update (never delete) through a `user/` scope.
 */
export function isClinicianCareTeamWrite(resourceType: string, interaction: Interaction): boolean {
  return resourceType === 'CareTeam' && (interaction === 'create' || interaction === 'update');
}

const refOf = (reference: Reference | undefined): string | undefined =>
  reference?.reference ? normalizeReference(reference.reference) : undefined;

/** The Practitioner and PractitionerRole members of the team (the participants that give reach). */
export function practitionerMembers(team: CareTeam): string[] {
  return (team.participant ?? [])
    .map((p) => refOf(p.member))
    .filter((ref): ref is string => !!ref && /^(Practitioner|PractitionerRole)\//.test(ref));
}

/**
 * A clinician's CareTeam, before and after the change:
 * - its `subject` is a Patient the clinician reaches through managingOrganization (not merely through another
 *   CareTeam: a team member cannot open a patient to others), as is every Patient in its compartment;
 * - the clinician (their Practitioner or one of their PractitionerRoles) is a participant member.
 * The other Practitioner members must be colleagues (assertColleagues, which needs the database).
 */
export function clinicianMayWriteCareTeam(
  reach: Reach,
  resource: Resource,
  patients: () => string[],
  fhirBaseUrl: string
): boolean {
  const team = resource as CareTeam;
  const organizationPatients = reach.organizationPatients ?? new Set<string>();
  const subject = refOf(team.subject);
  const subjectId = subject ? localPatientId(subject, fhirBaseUrl) : undefined;
  if (!subjectId || !organizationPatients.has(subjectId)) {
    return false;
  }
  if (!patients().every((p) => organizationPatients.has(p))) {
    return false;
  }
  return practitionerMembers(team).some((member) => reach.members?.has(member));
}

/**
 * Of these Practitioner/PractitionerRole references, those that hold a PractitionerRole in (or are a
 * PractitionerRole of) one of the organizations.
 */
const COLLEAGUES_SQL = `
WITH org_roles AS (
  SELECT o.resource_id AS id FROM search_reference o
  WHERE o.resource_type = 'PractitionerRole' AND o.param = 'organization' AND o.ref = ANY($2::text[])
)
SELECT r.ref AS member FROM search_reference r
  WHERE r.resource_type = 'PractitionerRole' AND r.param = 'practitioner' AND r.ref = ANY($1::text[])
    AND r.resource_id IN (SELECT id FROM org_roles)
UNION
SELECT ('PractitionerRole/' || id) COLLATE "C" FROM org_roles WHERE ('PractitionerRole/' || id) = ANY($1::text[])`;

/**
 * The members of a clinician's CareTeam other than themselves that are not colleagues (no PractitionerRole in one of
 * the clinician's Organizations): a clinician may not open their patient to someone outside their organization.
 */
export async function outsideMembers(db: Queryable, reach: Reach, team: CareTeam): Promise<string[]> {
  const others = [...new Set(practitionerMembers(team).filter((m) => !reach.members?.has(m)))];
  if (others.length === 0) {
    return [];
  }
  const { rows } = await db.query(COLLEAGUES_SQL, [others, [...reach.organizations]]);
  const colleagues = new Set((rows as { member: string }[]).map((r) => r.member));
  return others.filter((m) => !colleagues.has(m));
}

/** 403 when a clinician's CareTeam names a Practitioner outside their organizations. */
export async function assertColleagues(db: Queryable, reach: Reach, team: CareTeam): Promise<void> {
  const outside = await outsideMembers(db, reach, team);
  if (outside.length > 0) {
    throw new OperationOutcomeError(
      forbiddenBecause(
        `A clinician's care team may only name colleagues of their own organizations (not ${outside.join(', ')})`
      )
    );
  }
}
