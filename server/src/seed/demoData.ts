// Demo data for a first start: a virtual ward with a clinician, three patients, their care teams, a week of readings,
// and sign-in accounts for the clinician and the first patient.
import crypto from 'node:crypto';
import fs from 'node:fs';
import type {
  CarePlan,
  CareTeam,
  Observation,
  Organization,
  Patient,
  PlanDefinition,
  Practitioner,
  PractitionerRole,
  Resource,
} from '@medplum/fhirtypes';
import type { SearchRequest, WithId } from '@medplum/core';
import { OperationOutcomeError } from '@medplum/core';
import { createAccount, findAccountByEmail } from '../accounts/accountStore.ts';
import { passwordProblems } from '../accounts/passwords.ts';
import type { AccountRole } from '../auth/authenticate.ts';
import type { ServerConfig } from '../config.ts';
import type { PostgresRepository } from '../fhir/repository/postgresRepository.ts';
import { statusOf } from '../http/outcomes.ts';
import { assignSymptomCheckIns } from './symptomCheckIns.ts';

/** A demo sign-in account created by this start, with the password generated for it (shown once). */
export interface DemoAccount {
  email: string;
  password: string;
  role: AccountRole;
  fhirUser: string;
}

export interface DemoCredentials {
  /** What main.ts prints in the start-up banner (one or more lines). */
  summary: string;
  /** Accounts created by this start; empty when they already existed (their passwords were shown then). */
  accounts: DemoAccount[];
}

const DEMO_SYSTEM = 'http://rpm-platform.org/fhir/demo';
const NHS_NUMBER = 'https://fhir.nhs.uk/Id/nhs-number';

const PATIENTS = [
  { nhs: '9434765919', family: 'Okafor', given: 'Grace', gender: 'female', birthDate: '1948-03-12' },
  { nhs: '9000000009', family: 'Hughes', given: 'Arthur', gender: 'male', birthDate: '1952-11-02' },
  { nhs: '9449306060', family: 'Patel', given: 'Priya', gender: 'female', birthDate: '1961-07-24' },
] as const;

/** The demo sign-in accounts: the ward's nurse and the first patient. */
const CLINICIAN_ACCOUNT = { email: 'sam.bennett@example.org', displayName: 'Nurse Sam Bennett' };
const PATIENT_ACCOUNT = { email: 'grace.okafor@example.org', displayName: 'Grace Okafor' };

/** Banner label width, matching main.ts. */
const LABEL = '  Demo sign-in     ';

/** What the ward consists of once seeded. */
interface DemoWard {
  practitioner: string;
  patients: string[];
  created: number;
}

/**
 * Makes sure the demo ward exists (development only): each piece is looked up by its identifier and created when
 * missing, so restarts change nothing and a database seeded by an older version gains what it lacks. Readings are
 * added only for a patient created now. Demo accounts get random passwords, returned once for the banner.
 */
export async function seedDemoData(repo: PostgresRepository, config: ServerConfig): Promise<DemoCredentials> {
  const summary = `${PATIENTS.length} demo patients on the "Demo Virtual Ward"; use the admin client above`;
  if (config.production) {
    return { summary, accounts: [] };
  }
  const ward = await repo.withTransaction(seedWard, { resourceTypes: [] });
  const accounts = await seedDemoAccounts(repo, ward);
  return {
    summary: [
      ward.created > 0 ? `${summary} (seeded ${ward.created} resources)` : summary,
      ...accountLines(accounts),
    ].join('\n'),
    accounts,
  };
}

async function seedWard(tx: PostgresRepository): Promise<DemoWard> {
  // Instances starting together seed one after the other; the later ones find everything in place.
  await tx.lockSearch(byIdentifier('Organization', DEMO_SYSTEM, 'virtual-ward'));
  const counter = { created: 0 };
  const organization = await findOrCreate<Organization>(tx, counter, {
    resourceType: 'Organization',
    identifier: [{ system: DEMO_SYSTEM, value: 'virtual-ward' }],
    name: 'Demo Virtual Ward',
    active: true,
  });
  const orgRef = reference(organization);
  const practitioner = await findOrCreate<Practitioner>(tx, counter, {
    resourceType: 'Practitioner',
    identifier: [{ system: DEMO_SYSTEM, value: 'nurse-1' }],
    name: [{ family: 'Bennett', given: ['Sam'], prefix: ['Nurse'] }],
    active: true,
  });
  const practitionerRef = reference(practitioner);
  await findOrCreate<PractitionerRole>(tx, counter, {
    resourceType: 'PractitionerRole',
    identifier: [{ system: DEMO_SYSTEM, value: 'nurse-1-virtual-ward' }],
    active: true,
    practitioner: { reference: practitionerRef },
    organization: { reference: orgRef },
    code: [{ text: 'Virtual ward nurse' }],
  });

  await ensureProgramme(tx, counter);
  const patients: string[] = [];
  for (const [i, p] of PATIENTS.entries()) {
    const before = counter.created;
    const patient = await findOrCreate<Patient>(tx, counter, {
      resourceType: 'Patient',
      identifier: [{ system: NHS_NUMBER, value: p.nhs }],
      name: [{ family: p.family, given: [p.given] }],
      gender: p.gender,
      birthDate: p.birthDate,
      managingOrganization: { reference: orgRef },
      generalPractitioner: [{ reference: practitionerRef }],
    });
    const patientRef = reference(patient);
    // Enrolled before the readings are written, so the alert bots judge them as they would a device's.
    await findOrCreate<CarePlan>(tx, counter, monitoringCarePlan(p.nhs, patientRef, practitionerRef));
    if (counter.created > before) {
      counter.created += await createReadings(tx, patientRef, i);
    } else if (patient.managingOrganization?.reference !== orgRef) {
      await tx.updateResource({ ...patient, managingOrganization: { reference: orgRef } });
    }
    patients.push(patientRef);
    await findOrCreate<CareTeam>(tx, counter, {
      resourceType: 'CareTeam',
      identifier: [{ system: DEMO_SYSTEM, value: `care-team-${p.nhs}` }],
      status: 'active',
      name: `Virtual ward care team for ${p.given} ${p.family}`,
      subject: { reference: patientRef },
      participant: [{ member: { reference: practitionerRef } }],
      managingOrganization: [{ reference: orgRef }],
    });
  }
  await assignSymptomCheckIns(tx, counter, patients);
  return { practitioner: practitionerRef, patients, created: counter.created };
}

/** The project's example conformance resources (fhir/profiles/examples), e.g. the programme PlanDefinitions. */
function readExample<T extends Resource>(name: string): T {
  const url = new URL(`../../../fhir/profiles/examples/${name}.json`, import.meta.url);
  return JSON.parse(fs.readFileSync(url, 'utf8')) as T;
}

/** The heart-failure programme (thresholds, escalation), as in the example; written once, by its id. */
async function ensureProgramme(tx: PostgresRepository, counter: { created: number }): Promise<void> {
  const programme = readExample<PlanDefinition>('rpm-threshold-programme-heart-failure');
  const { created } = await tx.upsertResource(programme);
  counter.created += created ? 1 : 0;
}

/** The patient's monitoring CarePlan of the heart-failure programme: the example's schedule, started a week ago. */
function monitoringCarePlan(nhs: string, patientRef: string, practitionerRef: string): CarePlan {
  const { id: _id, goal: _goal, ...example } = readExample<CarePlan>('rpm-monitoring-careplan-heart-failure');
  return {
    ...example,
    identifier: [{ system: DEMO_SYSTEM, value: `care-plan-${nhs}` }],
    subject: { reference: patientRef },
    author: { reference: practitionerRef },
    period: { start: new Date(Date.now() - 8 * 86_400_000).toISOString() },
  };
}

function byIdentifier(resourceType: string, system: string, value: string): SearchRequest {
  return {
    resourceType: resourceType as SearchRequest['resourceType'],
    filters: [{ code: 'identifier', operator: 'eq' as never, value: `${system}|${value}` }],
  };
}

/** The resource with the same (first) identifier, or the resource just created. */
async function findOrCreate<T extends Resource>(
  tx: PostgresRepository,
  counter: { created: number },
  resource: T & { identifier?: { system?: string; value?: string }[] }
): Promise<WithId<T>> {
  const [identifier] = resource.identifier ?? [];
  const existing = await tx.searchOne(
    byIdentifier(resource.resourceType, identifier?.system ?? '', identifier?.value ?? '')
  );
  if (existing) {
    return existing as WithId<T>;
  }
  counter.created++;
  return tx.createResource(resource);
}

function reference(resource: WithId<Resource>): string {
  return `${resource.resourceType}/${resource.id}`;
}

/**
 * A week of daily heart rate, SpO2 and blood pressure. Arthur (index 1) deteriorates over the week, to a heart rate
 * of 120 (amber) and SpO2 91 % (red) today, so the demo ward opens with his alerts raised by the bots. Returns how
 * many Observations it created.
 */
async function createReadings(tx: PostgresRepository, patientRef: string, i: number): Promise<number> {
  const now = Date.now();
  let created = 0;
  for (let day = 6; day >= 0; day--) {
    const when = new Date(now - day * 86_400_000 - i * 3_600_000).toISOString();
    const worsening = i === 1 ? 6 - day : 0;
    await tx.createResource(vital(patientRef, when, '8867-4', 'Heart rate', 72 + worsening * 8, '/min'));
    await tx.createResource(vital(patientRef, when, '2708-6', 'Oxygen saturation', 97 - worsening, '%'));
    await tx.createResource(bloodPressure(patientRef, when, 128 + i * 6, 82));
    created += 3;
  }
  return created;
}

/** A random password that meets the policy, never stored anywhere but as its hash. */
function randomPassword(owner: { email: string; displayName: string }): string {
  for (;;) {
    const password = crypto.randomBytes(15).toString('base64url');
    if (passwordProblems(password, owner).length === 0) {
      return password;
    }
  }
}

/** Creates the demo accounts that are missing; returns the ones created, with their passwords. */
async function seedDemoAccounts(repo: PostgresRepository, ward: DemoWard): Promise<DemoAccount[]> {
  const wanted = [
    { ...CLINICIAN_ACCOUNT, role: 'clinician' as const, fhirUser: ward.practitioner },
    { ...PATIENT_ACCOUNT, role: 'patient' as const, fhirUser: ward.patients[0] },
  ];
  const created: DemoAccount[] = [];
  for (const account of wanted) {
    if (await findAccountByEmail(repo.pool, account.email)) {
      continue;
    }
    const password = randomPassword(account);
    try {
      await createAccount(repo.pool, { ...account, password });
      created.push({ email: account.email, password, role: account.role, fhirUser: account.fhirUser });
    } catch (err) {
      // Another instance created it a moment ago.
      if (!(err instanceof OperationOutcomeError && statusOf(err.outcome) === 409)) {
        throw err;
      }
    }
  }
  return created;
}

/** Banner lines: new accounts with their passwords, or a reminder of who exists. */
function accountLines(created: DemoAccount[]): string[] {
  if (created.length === 0) {
    return [
      `${LABEL}${CLINICIAN_ACCOUNT.email}, ${PATIENT_ACCOUNT.email} (passwords were shown when they were created;` +
        ' set a new one with POST /admin/accounts/{id}/password)',
    ];
  }
  return created.map(
    (account) =>
      `${LABEL}${account.email} / ${account.password} (${account.role}, ${account.fhirUser}; shown this once` +
      `${account.role === 'clinician' ? '; set up an authenticator app at first sign-in' : ''})`
  );
}

function vitalBase(patient: string, when: string, code: string, display: string): Observation {
  return {
    resourceType: 'Observation',
    status: 'final',
    category: [
      {
        coding: [
          {
            system: 'http://terminology.hl7.org/CodeSystem/observation-category',
            code: 'vital-signs',
            display: 'Vital Signs',
          },
        ],
      },
    ],
    code: { coding: [{ system: 'http://loinc.org', code, display }], text: display },
    subject: { reference: patient },
    effectiveDateTime: when,
  };
}

function vital(patient: string, when: string, code: string, display: string, value: number, unit: string): Observation {
  return {
    ...vitalBase(patient, when, code, display),
    valueQuantity: { value, unit, system: 'http://unitsofmeasure.org', code: unit },
  };
}

function bloodPressure(patient: string, when: string, systolic: number, diastolic: number): Observation {
  const component = (code: string, display: string, value: number) => ({
    code: { coding: [{ system: 'http://loinc.org', code, display }] },
    valueQuantity: { value, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' },
  });
  return {
    ...vitalBase(patient, when, '85354-9', 'Blood pressure panel'),
    component: [
      component('8480-6', 'Systolic blood pressure', systolic),
      component('8462-4', 'Diastolic blood pressure', diastolic),
    ],
  };
}
