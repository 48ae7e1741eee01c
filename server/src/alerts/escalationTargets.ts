// Resolves an escalation target (a role at the patient's organization, or a named resource) to the people to notify.
import { isGone, isNotFound, OperationOutcomeError, type SearchRequest } from '@medplum/core';
import type { FhirRepository } from '@medplum/fhir-router';
import type {
  CareTeam,
  DetectedIssue,
  Patient,
  Period,
  Practitioner,
  PractitionerRole,
  Reference,
} from '@medplum/fhirtypes';
import { parseSearchQuery } from '../fhir/search/index.ts';
import { alertPatient } from './alertState.ts';
import type { EscalationTarget } from './escalationPolicy.ts';

export type Contact = Practitioner | PractitionerRole;

/** One Task owner and where to reach them, in order of preference (a role's own telecom before its practitioner's). */
export interface EscalationOwner {
  /** Absent when nobody could be found and the patient has no managing organization. */
  owner?: Reference;
  contacts: Contact[];
}

export interface ResolvedTarget {
  owners: EscalationOwner[];
  /** Set when nobody was found and the Task falls back to the organization (or to nobody). */
  warning?: string;
}

const MAX_ROLE_HOLDERS = 50;

/** The resource, or undefined when it is missing or deleted. */
export async function readIfExists<T extends Patient | Contact | CareTeam>(
  repo: FhirRepository,
  reference: string | undefined
): Promise<T | undefined> {
  if (!reference) {
    return undefined;
  }
  try {
    return await repo.readReference<T>({ reference } as Reference<T>);
  } catch (err) {
    if (err instanceof OperationOutcomeError && (isNotFound(err.outcome) || isGone(err.outcome))) {
      return undefined;
    }
    throw err;
  }
}

function current(period: Period | undefined, now: Date): boolean {
  const start = period?.start ? Date.parse(period.start) : NaN;
  const end = period?.end ? Date.parse(period.end) : NaN;
  return !(start > now.getTime()) && !(end <= now.getTime());
}

/** A Practitioner or PractitionerRole as an owner; a role's practitioner is read for its telecom. */
export async function ownerOf(repo: FhirRepository, contact: Contact): Promise<EscalationOwner> {
  const owner = { reference: `${contact.resourceType}/${contact.id}` };
  if (contact.resourceType === 'Practitioner') {
    return { owner, contacts: [contact] };
  }
  const practitioner = await readIfExists<Practitioner>(repo, contact.practitioner?.reference);
  return { owner, contacts: practitioner ? [contact, practitioner] : [contact] };
}

async function roleHolders(
  repo: FhirRepository,
  organization: string,
  role: { system?: string; code: string },
  now: Date
): Promise<PractitionerRole[]> {
  const bundle = await repo.search<PractitionerRole>(
    parseSearchQuery('PractitionerRole', {
      organization,
      role: `${role.system}|${role.code}`,
      _count: String(MAX_ROLE_HOLDERS),
    }) as SearchRequest<PractitionerRole>
  );
  return (bundle.entry ?? [])
    .map((e) => e.resource as PractitionerRole)
    .filter((r) => r && r.active !== false && current(r.period, now));
}

async function careTeamMembers(repo: FhirRepository, team: CareTeam, now: Date): Promise<Contact[]> {
  const members: Contact[] = [];
  for (const participant of team.participant ?? []) {
    const reference = participant.member?.reference;
    if (current(participant.period, now) && /^(Practitioner|PractitionerRole)\//.test(reference ?? '')) {
      const member = await readIfExists<Contact>(repo, reference);
      if (member && (member.resourceType === 'Practitioner' || member.active !== false)) {
        members.push(member);
      }
    }
  }
  return members;
}

/**
 * The owners for a target, read through `repo`:
 * - a role: every PractitionerRole with that code at the patient's managingOrganization that is active (not false)
 *   and whose period covers `now` (up to 50);
 * - Practitioner / PractitionerRole: that one; CareTeam: its current Practitioner and PractitionerRole members.
 * Nobody found: one owner, the patient's managingOrganization (or none), without contacts, and a warning, so the Task
 * still shows in the organization's worklist.
 */
export async function resolveEscalationTarget(
  repo: FhirRepository,
  alert: DetectedIssue,
  target: EscalationTarget,
  now: Date
): Promise<ResolvedTarget> {
  const patient = await readIfExists<Patient>(repo, alertPatient(alert));
  const organization = patient?.managingOrganization?.reference;
  let contacts: Contact[] = [];
  let who: string;
  if ('role' in target) {
    who = `role ${target.role.code}`;
    contacts = organization ? await roleHolders(repo, organization, target.role, now) : [];
  } else {
    who = target.reference;
    const resource = await readIfExists<Contact | CareTeam>(repo, target.reference);
    if (resource?.resourceType === 'CareTeam') {
      contacts = await careTeamMembers(repo, resource, now);
    } else if (resource) {
      contacts = [resource];
    }
  }
  if (contacts.length > 0) {
    const owners: EscalationOwner[] = [];
    for (const contact of contacts) {
      owners.push(await ownerOf(repo, contact));
    }
    return { owners };
  }
  return {
    owners: [{ ...(organization ? { owner: { reference: organization } } : {}), contacts: [] }],
    warning: `nobody found for ${who} (patient's organization: ${organization ?? 'none'}); Task assigned to ${
      organization ?? 'nobody'
    }`,
  };
}
