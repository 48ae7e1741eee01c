// What a user token reaches: the Patients whose compartments its role and relationships open, loaded in one query.
import type { Caller } from '../auth/authenticate.ts';
import type { Queryable } from '../db/pool.ts';
import { localPatientId } from './compartmentPatients.ts';

export interface Reach {
  /** Patient ids whose compartments are reached. */
  patients: ReadonlySet<string>;
  /** 'Organization/x' where the account holds a PractitionerRole (clinicians and admins). */
  organizations: ReadonlySet<string>;
  /** Single resources reached besides the compartments ('RelatedPerson/x', a carer's own). */
  resources: ReadonlySet<string>;
  /** The account whose owned resources (typeRules.ts OWNED_TYPES) are reached: the caller's own. */
  owner?: string;
  /** Every owned resource, whoever owns it (an admin's `user/` scopes). */
  everyOwner?: boolean;
  /** The Patients reached through managingOrganization (one of the account's Organizations), a subset of `patients`. */
  organizationPatients?: ReadonlySet<string>;
  /** The account's own care-team identities: 'Practitioner/d' and 'PractitionerRole/r' of each of d's roles. */
  members?: ReadonlySet<string>;
}

export const NO_REACH: Reach = { patients: new Set(), organizations: new Set(), resources: new Set() };

const FHIR_USER = /^(Patient|Practitioner|RelatedPerson)\/([A-Za-z0-9\-.]{1,64})$/;

function fhirUserOf(caller: Caller, type: string): string | undefined {
  const match = FHIR_USER.exec(caller.fhirUser ?? '');
  return match && match[1] === type ? match[2] : undefined;
}

/**
 * The account's own reach (what `user/` scopes reach), by role:
 * - patient: their Patient (fhirUser);
 * - carer: the Patient named by their RelatedPerson's `patient`, and that RelatedPerson;
 * - clinician: the subjects of CareTeams with them (or a PractitionerRole of theirs) as participant member, and the
 *   Patients managed by an Organization where they hold a PractitionerRole;
 * - admin: the Patients managed by their Organizations.
 * No role, or a fhirUser of the wrong type, reaches nothing.
 */
export async function loadAccountReach(db: Queryable, caller: Caller, fhirBaseUrl: string): Promise<Reach> {
  switch (caller.role) {
    case 'patient': {
      const patient = fhirUserOf(caller, 'Patient');
      return patient ? { ...NO_REACH, patients: new Set([patient]) } : NO_REACH;
    }
    case 'carer': {
      const relatedPerson = fhirUserOf(caller, 'RelatedPerson');
      return relatedPerson ? loadCarerReach(db, relatedPerson, fhirBaseUrl) : NO_REACH;
    }
    case 'clinician':
    case 'admin': {
      const practitioner = fhirUserOf(caller, 'Practitioner');
      return practitioner
        ? loadPractitionerReach(db, practitioner, caller.role === 'clinician', fhirBaseUrl)
        : NO_REACH;
    }
    default:
      return NO_REACH;
  }
}

async function loadCarerReach(db: Queryable, relatedPerson: string, fhirBaseUrl: string): Promise<Reach> {
  // Index rows exist only for live resources: a deleted RelatedPerson reaches nothing.
  const { rows } = await db.query(
    `SELECT ref FROM search_reference WHERE resource_type = 'RelatedPerson' AND resource_id = $1 AND param = 'patient'`,
    [relatedPerson]
  );
  const patients = rows.map((r) => localPatientId(r.ref, fhirBaseUrl)).filter((id): id is string => !!id);
  return {
    patients: new Set(patients),
    organizations: new Set(),
    resources: new Set([`RelatedPerson/${relatedPerson}`]),
  };
}

/**
 * One statement over the reference index: the practitioner's PractitionerRoles, their Organizations, the CareTeams
 * naming the practitioner or one of those roles as participant (clinicians only), the CareTeams' subjects, and the
 * Patients whose managingOrganization is one of the Organizations. Every step is a lookup of an index range: the
 * CareTeams are collected first and their subjects looked up by id (`= ANY(ARRAY(…))`), so PostgreSQL cannot choose,
 * misjudging a caseload of hundreds as one row (no statistics yet), a nested loop over every team for every subject
 * (40 ms per request for 500 patients).
 */
const PRACTITIONER_REACH_SQL = `
WITH roles AS (
  SELECT r.resource_id AS id FROM search_reference r
  WHERE r.resource_type = 'PractitionerRole' AND r.param = 'practitioner' AND r.ref = $1
), orgs AS (
  SELECT DISTINCT o.ref FROM search_reference o
  WHERE o.resource_type = 'PractitionerRole' AND o.param = 'organization' AND o.resource_id IN (SELECT id FROM roles)
), teams AS MATERIALIZED (
  SELECT t.resource_id AS id FROM search_reference t
  WHERE $2::boolean AND t.resource_type = 'CareTeam' AND t.param = 'participant'
    AND t.ref = ANY(ARRAY[$1::text] || ARRAY(SELECT ('PractitionerRole/' || id) COLLATE "C" FROM roles))
)
SELECT 'organization' AS kind, ref FROM orgs
UNION ALL
SELECT 'role', ('PractitionerRole/' || id) COLLATE "C" FROM roles
UNION ALL
SELECT 'patient', s.ref FROM search_reference s
  WHERE s.resource_type = 'CareTeam' AND s.param = 'subject' AND s.resource_id = ANY(ARRAY(SELECT id FROM teams))
UNION ALL
SELECT 'org-patient', ('Patient/' || p.resource_id) COLLATE "C" FROM search_reference p
  WHERE p.resource_type = 'Patient' AND p.param = 'organization' AND p.ref IN (SELECT ref FROM orgs)`;

async function loadPractitionerReach(
  db: Queryable,
  practitioner: string,
  withCareTeams: boolean,
  fhirBaseUrl: string
): Promise<Reach> {
  const { rows } = await db.query(PRACTITIONER_REACH_SQL, [`Practitioner/${practitioner}`, withCareTeams]);
  const patients = new Set<string>();
  const organizationPatients = new Set<string>();
  const organizations = new Set<string>();
  const members = new Set<string>([`Practitioner/${practitioner}`]);
  for (const { kind, ref } of rows as { kind: string; ref: string }[]) {
    if (kind === 'organization') {
      organizations.add(ref);
    } else if (kind === 'role') {
      members.add(ref);
    } else {
      const id = localPatientId(ref, fhirBaseUrl);
      if (id) {
        patients.add(id);
        if (kind === 'org-patient') {
          organizationPatients.add(id);
        }
      }
    }
  }
  return { patients, organizations, resources: new Set(), organizationPatients, members };
}

/**
 * What `patient/` scopes reach: the launch patient's compartment (for a patient without launch context, their own),
 * and only when the account itself reaches that patient.
 */
export function launchReach(caller: Caller, account: Reach): Reach {
  const launch = caller.patient ?? (caller.role === 'patient' ? fhirUserOf(caller, 'Patient') : undefined);
  return launch && account.patients.has(launch) ? { ...NO_REACH, patients: new Set([launch]) } : NO_REACH;
}
