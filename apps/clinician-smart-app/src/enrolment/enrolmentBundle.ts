// The enrolment as ONE transaction Bundle: Patient (conditional on the NHS number), CareTeam and monitoring CarePlan.
import type { Bundle, CarePlan, CareTeam, ContactPoint, Patient, PlanDefinition } from '@medplum/fhirtypes';
import { MONITORING_CAREPLAN_PROFILE, NHS_NUMBER_SYSTEM } from '../fhir/codes.ts';
import { nhsNumberDigits } from './nhsNumber.ts';
import { scheduleActivities, type ScheduledReading } from './schedule.ts';

/** Identifies one enrolment form: a double submit of the same form finds what the first one wrote. */
export const ENROLMENT_SYSTEM = 'http://rpm-platform.org/fhir/identifier/enrolment';
const TIME_ZONE_EXTENSION = 'http://rpm-platform.org/fhir/StructureDefinition/rpm-schedule-time-zone';

export type Sex = 'female' | 'male' | 'other' | 'unknown';

export interface Enrolment {
  nhsNumber: string;
  given: string;
  family: string;
  birthDate: string;
  gender: Sex;
  phone?: string;
  email?: string;
  programme: PlanDefinition;
  schedule: ScheduledReading[];
  /** 'Organization/x': one of the clinician's Organizations (managingOrganization). */
  organization: string;
  /** 'Practitioner/x': the signed-in clinician (always on the team, the CarePlan's author). */
  clinician: string;
  /** Colleagues added to the care team ('Practitioner/y'). */
  colleagues: string[];
  /** This form's key (a UUID): the CareTeam's and CarePlan's identifier. */
  key: string;
  now: Date;
}

const uuid = (): string => `urn:uuid:${crypto.randomUUID()}`;

function telecom(enrolment: Enrolment): ContactPoint[] {
  return [
    ...(enrolment.phone?.trim() ? [{ system: 'phone', value: enrolment.phone.trim(), use: 'mobile' } as const] : []),
    ...(enrolment.email?.trim() ? [{ system: 'email', value: enrolment.email.trim() } as const] : []),
  ];
}

/**
 * A transaction Bundle: nothing is half-written. The Patient is a conditional create on the NHS number, the CareTeam
 * and CarePlan conditional creates on the form's key, so a double submit (or a retry after a lost answer) creates
 * nothing twice.
 */
export function enrolmentBundle(enrolment: Enrolment): Bundle {
  const nhs = nhsNumberDigits(enrolment.nhsNumber);
  const [patientUrl, teamUrl, planUrl] = [uuid(), uuid(), uuid()];
  const start = enrolment.now.toISOString();
  const identifier = [{ system: ENROLMENT_SYSTEM, value: enrolment.key }];
  const programmeTitle = enrolment.programme.title ?? enrolment.programme.name ?? 'Remote monitoring';
  const contact = telecom(enrolment);
  const patient: Patient = {
    resourceType: 'Patient',
    identifier: [{ system: NHS_NUMBER_SYSTEM, value: nhs }],
    active: true,
    name: [{ use: 'official', given: [enrolment.given.trim()], family: enrolment.family.trim() }],
    gender: enrolment.gender,
    birthDate: enrolment.birthDate,
    ...(contact.length ? { telecom: contact } : {}),
    managingOrganization: { reference: enrolment.organization },
  };
  const members = [enrolment.clinician, ...enrolment.colleagues.filter((c) => c !== enrolment.clinician)];
  const team: CareTeam = {
    resourceType: 'CareTeam',
    identifier,
    status: 'active',
    name: `${programmeTitle} team`,
    subject: { reference: patientUrl },
    period: { start },
    participant: members.map((member) => ({ member: { reference: member } })),
    managingOrganization: [{ reference: enrolment.organization }],
  };
  const timeZone = enrolment.programme.extension?.find((e) => e.url === TIME_ZONE_EXTENSION);
  const plan: CarePlan = {
    resourceType: 'CarePlan',
    meta: { profile: [MONITORING_CAREPLAN_PROFILE] },
    ...(timeZone ? { extension: [timeZone] } : {}),
    identifier,
    instantiatesCanonical: [enrolment.programme.url as string],
    status: 'active',
    intent: 'plan',
    title: programmeTitle,
    subject: { reference: patientUrl },
    period: { start },
    author: { reference: enrolment.clinician },
    careTeam: [{ reference: teamUrl }],
    activity: scheduleActivities(enrolment.schedule),
  };
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      {
        fullUrl: patientUrl,
        resource: patient,
        request: { method: 'POST', url: 'Patient', ifNoneExist: `identifier=${NHS_NUMBER_SYSTEM}|${nhs}` },
      },
      {
        fullUrl: teamUrl,
        resource: team,
        request: { method: 'POST', url: 'CareTeam', ifNoneExist: `identifier=${ENROLMENT_SYSTEM}|${enrolment.key}` },
      },
      {
        fullUrl: planUrl,
        resource: plan,
        request: { method: 'POST', url: 'CarePlan', ifNoneExist: `identifier=${ENROLMENT_SYSTEM}|${enrolment.key}` },
      },
    ],
  };
}

/** What the transaction's answer says: the new (or, after a double submit, existing) Patient's id. */
export function enrolledPatientId(response: Bundle): string | undefined {
  const location = response.entry?.[0]?.response?.location ?? '';
  return /Patient\/([^/]+)/.exec(location)?.[1];
}
