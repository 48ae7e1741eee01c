// What the enrolment form offers: the server's monitoring programmes, the clinician's organizations and colleagues.
import { formatHumanName, type MedplumClient } from '@medplum/core';
import type { Bundle, Organization, Patient, PlanDefinition, Practitioner, Resource } from '@medplum/fhirtypes';

export const PROGRAMME_PROFILE = 'http://rpm-platform.org/fhir/StructureDefinition/rpm-threshold-programme';

export interface Choice {
  /** 'Organization/x', 'Practitioner/y' or the programme's canonical url. */
  value: string;
  label: string;
}

export interface EnrolmentOptions {
  programmes: PlanDefinition[];
  organizations: Choice[];
  colleagues: Choice[];
}

function resources<T extends Resource>(bundle: Bundle, type: T['resourceType']): T[] {
  return (bundle.entry ?? []).map((e) => e.resource).filter((r): r is T => r?.resourceType === type);
}

const practitionerName = (p: Practitioner): string =>
  p.name?.[0] ? formatHumanName(p.name[0]) : `Practitioner ${p.id ?? ''}`;

/**
 * Programmes: active PlanDefinitions of the `rpm-threshold-programme` profile. Organizations: those of the
 * clinician's PractitionerRoles (a patient is created in one of them). Colleagues: practitioners holding a role in
 * those organizations (the server lets a clinician put only colleagues on a care team).
 */
export async function loadEnrolmentOptions(medplum: MedplumClient, clinician: string): Promise<EnrolmentOptions> {
  const [programmeBundle, roleBundle] = await Promise.all([
    medplum.search('PlanDefinition', { _profile: PROGRAMME_PROFILE, status: 'active', _count: '100' }),
    medplum.search('PractitionerRole', {
      practitioner: clinician,
      _include: 'PractitionerRole:organization',
      _count: '100',
    }),
  ]);
  const organizations = resources<Organization>(roleBundle as Bundle, 'Organization').map((o) => ({
    value: `Organization/${o.id}`,
    label: o.name ?? `Organization ${o.id}`,
  }));
  let colleagues: Choice[] = [];
  if (organizations.length > 0) {
    const colleagueBundle = await medplum.search('PractitionerRole', {
      organization: organizations.map((o) => o.value).join(','),
      _include: 'PractitionerRole:practitioner',
      _count: '500',
    });
    const seen = new Set<string>([clinician]);
    colleagues = resources<Practitioner>(colleagueBundle as Bundle, 'Practitioner')
      .map((p) => ({ value: `Practitioner/${p.id}`, label: practitionerName(p) }))
      .filter((c) => !seen.has(c.value) && seen.add(c.value))
      .sort((a, b) => a.label.localeCompare(b.label));
  }
  const programmes = resources<PlanDefinition>(programmeBundle as Bundle, 'PlanDefinition')
    .filter((p) => p.url)
    .sort((a, b) => (a.title ?? '').localeCompare(b.title ?? ''));
  return { programmes, organizations, colleagues };
}

/** The patient already registered with this NHS number (within what the clinician may see), if any. */
export async function findByNhsNumber(
  medplum: MedplumClient,
  system: string,
  digits: string
): Promise<{ id: string; name: string } | undefined> {
  const bundle = (await medplum.search('Patient', { identifier: `${system}|${digits}`, _count: '1' })) as Bundle;
  const patient = resources<Patient>(bundle, 'Patient')[0];
  if (!patient?.id) {
    return undefined;
  }
  const name = patient.name?.[0] ? formatHumanName(patient.name[0]) : `Patient ${patient.id}`;
  return { id: patient.id, name };
}
