// Who an alert can be escalated to: the patient's care team and the on-call roles, by name, never the clinician themself.
import type { MedplumClient } from '@medplum/core';
import type { CareTeam, HumanName, Practitioner, PractitionerRole, Resource } from '@medplum/fhirtypes';

export interface EscalationTarget {
  /** "Practitioner/<id>" or "PractitionerRole/<id>", the `practitioner` parameter of $escalate. */
  reference: string;
  label: string;
}

function nameOf(names: HumanName[] | undefined): string | undefined {
  const name = names?.[0];
  const text = [name?.prefix?.join(' '), name?.given?.join(' '), name?.family].filter(Boolean).join(' ');
  return text || name?.text;
}

/**
 * The choices, from a search's resources (CareTeams with their participants, PractitionerRoles with their
 * Practitioners): care team Practitioners, then PractitionerRoles ("On-call registrar — Dr Lee"), each once, sorted
 * by label within each group; `self` (the signed-in clinician's fhirUser) and their own roles are left out.
 */
export function escalationTargets(resources: readonly Resource[], self: string | undefined): EscalationTarget[] {
  const practitioners = new Map(
    resources
      .filter((r): r is Practitioner => r.resourceType === 'Practitioner')
      .map((p) => [`Practitioner/${p.id}`, p])
  );
  const roles = resources.filter((r): r is PractitionerRole => r.resourceType === 'PractitionerRole');
  const teamMembers = resources
    .filter((r): r is CareTeam => r.resourceType === 'CareTeam')
    .flatMap((team) => (team.participant ?? []).map((p) => p.member?.reference ?? ''))
    .filter((ref) => ref.startsWith('Practitioner/'));
  const people = [...new Set(teamMembers)]
    .filter((ref) => ref !== self)
    .map((ref) => ({ reference: ref, label: nameOf(practitioners.get(ref)?.name) ?? ref }))
    .sort((a, b) => a.label.localeCompare(b.label));
  const roleTargets = roles
    .filter((role) => role.practitioner?.reference !== self)
    .map((role) => {
      const what = role.code?.[0]?.text ?? role.code?.[0]?.coding?.[0]?.display ?? 'Role';
      const who = role.practitioner?.reference
        ? (nameOf(practitioners.get(role.practitioner.reference)?.name) ?? role.practitioner.display)
        : undefined;
      return { reference: `PractitionerRole/${role.id}`, label: who ? `${what} — ${who}` : what };
    })
    .sort((a, b) => a.label.localeCompare(b.label));
  const seen = new Set<string>();
  return [...people, ...roleTargets].filter((t) => !seen.has(t.reference) && seen.add(t.reference));
}

/** Loads the choices: the patient's active CareTeams with their members, and PractitionerRoles with their people. */
export async function loadEscalationTargets(
  medplum: MedplumClient,
  patientId: string,
  self: string | undefined
): Promise<EscalationTarget[]> {
  const [teams, roles] = await Promise.all([
    medplum.search('CareTeam', {
      subject: `Patient/${patientId}`,
      status: 'active',
      _include: 'CareTeam:participant',
      _count: '20',
    }),
    medplum
      .search('PractitionerRole', { _include: 'PractitionerRole:practitioner', _count: '50' })
      .catch(() => ({ entry: [] })),
  ]);
  const resources: Resource[] = [];
  for (const entry of [...(teams.entry ?? []), ...(roles.entry ?? [])]) {
    if (entry.resource) {
      resources.push(entry.resource as Resource);
    }
  }
  return escalationTargets(resources, self);
}
