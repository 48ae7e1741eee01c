// The rules in memory, without a server: type categories, granting scopes by role, compartments, read/write reach.
import { OperationOutcomeError } from '@medplum/core';
import type { Observation, Patient, Resource } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import type { Caller } from '../auth/authenticate.ts';
import { loadFhirDefinitions } from '../fhir/definitions.ts';
import type { CallerAccess } from './callerAccess.ts';
import { mayRead } from './checkRead.ts';
import { assertTypeGranted } from './checkType.ts';
import { assertWritableAfter, assertWritableBefore } from './checkWrite.ts';
import { compartmentPatients } from './compartmentPatients.ts';
import { grantingScopes } from './grants.ts';
import { launchReach, NO_REACH, type Reach } from './reach.ts';
import { categoryOf, compartmentRowParams } from './typeRules.ts';

loadFhirDefinitions();
const BASE = 'https://rpm.example/fhir/R4';

const user = (role: Caller['role'], scopes: string[], extra: Partial<Caller> = {}): Caller => ({
  clientId: 'app',
  subject: 'account',
  expiresAt: 0,
  role,
  scopes,
  ...extra,
});
const system = (scopes: string[]): Caller => ({ clientId: 'device', expiresAt: 0, scopes });
const reach = (patients: string[], organizations: string[] = [], resources: string[] = []): Reach => ({
  patients: new Set(patients),
  organizations: new Set(organizations),
  resources: new Set(resources),
});
const access = (caller: Caller, userReach: Reach, patientReach: Reach = NO_REACH): CallerAccess => ({
  caller,
  fhirBaseUrl: BASE,
  reach: { user: userReach, patient: patientReach },
});
const observation = (subject: string, extra: Partial<Observation> = {}): Observation => ({
  resourceType: 'Observation',
  id: 'o1',
  status: 'final',
  code: { text: 'x' },
  subject: { reference: subject },
  ...extra,
});

function statusOf(fn: () => void): number {
  try {
    fn();
    return 200;
  } catch (err) {
    return (err as OperationOutcomeError).outcome.id === 'not-found' ? 404 : 403;
  }
}

describe('type rules', () => {
  test('categories: compartment types, directory, owned, restricted', () => {
    expect(categoryOf('Observation')).toBe('compartment');
    expect(categoryOf('Patient')).toBe('compartment');
    expect(categoryOf('AuditEvent')).toBe('compartment');
    expect(categoryOf('Practitioner')).toBe('directory');
    expect(categoryOf('Device')).toBe('directory');
    expect(categoryOf('Subscription')).toBe('owned');
    expect(categoryOf('Binary')).toBe('restricted');
    expect(compartmentRowParams('Observation')).toEqual(['performer', 'subject']);
    expect(compartmentRowParams('Device')).toEqual(['patient']);
    expect(compartmentRowParams('Patient')).toEqual([]);
  });

  test('compartment patients: relative and own-base references, _history ignored, foreign ones not counted', () => {
    const o = observation(`${BASE}/Patient/a/_history/3`, {
      performer: [{ reference: 'Patient/b' }, { reference: 'https://other.example/fhir/Patient/c' }],
    });
    expect(compartmentPatients(o, BASE).sort()).toEqual(['a', 'b']);
    expect(compartmentPatients({ resourceType: 'Patient', id: 'p' } as Patient, BASE)).toEqual(['p']);
  });
});

describe('granting scopes', () => {
  test('system tokens: system scopes only, type-wide, never granular', () => {
    expect(grantingScopes(system(['system/Observation.rs']), 'Observation', 'search')).toHaveLength(1);
    expect(grantingScopes(system(['user/*.rs', 'patient/*.rs']), 'Observation', 'read')).toHaveLength(0);
    expect(grantingScopes(system(['system/Observation.rs?category=vital-signs']), 'Observation', 'read')).toEqual([]);
  });

  test('user tokens: patient and user scopes; role decides directory and restricted writes', () => {
    expect(grantingScopes(user('patient', ['system/*.*']), 'Observation', 'read')).toEqual([]);
    expect(grantingScopes(user('patient', ['user/*.cruds']), 'Practitioner', 'read')).toHaveLength(1);
    expect(grantingScopes(user('patient', ['user/*.cruds']), 'Practitioner', 'create')).toEqual([]);
    expect(grantingScopes(user('admin', ['user/*.cruds']), 'Practitioner', 'create')).toHaveLength(1);
    expect(grantingScopes(user('admin', ['patient/*.cruds']), 'Practitioner', 'create')).toEqual([]);
    // Enrolment: a clinician's user/ scope creates and updates CareTeams (checked per resource), never deletes them.
    expect(grantingScopes(user('clinician', ['user/*.cruds']), 'CareTeam', 'update')).toHaveLength(1);
    expect(grantingScopes(user('clinician', ['user/*.cruds']), 'CareTeam', 'delete')).toEqual([]);
    expect(grantingScopes(user('clinician', ['patient/*.cruds']), 'CareTeam', 'create')).toEqual([]);
    expect(grantingScopes(user('carer', ['user/*.cruds']), 'CareTeam', 'create')).toEqual([]);
    expect(grantingScopes(user('clinician', ['user/*.cruds']), 'Binary', 'read')).toEqual([]);
    expect(grantingScopes(user('admin', ['user/*.cruds']), 'Binary', 'read')).toHaveLength(1);
    // Owned types: every role, each reaching their own (checkRead.ts).
    expect(grantingScopes(user('clinician', ['user/*.cruds']), 'Subscription', 'create')).toHaveLength(1);
    expect(grantingScopes(user('patient', ['patient/Subscription.cd']), 'Subscription', 'create')).toHaveLength(1);
  });

  test('AuditEvent: append-only for everyone, created by system clients only', () => {
    expect(statusOf(() => assertTypeGranted(system(['system/*.*']), 'AuditEvent', 'update'))).toBe(403);
    expect(statusOf(() => assertTypeGranted(system(['system/*.*']), 'AuditEvent', 'delete'))).toBe(403);
    expect(statusOf(() => assertTypeGranted(system(['system/*.*']), 'AuditEvent', 'create'))).toBe(200);
    expect(statusOf(() => assertTypeGranted(user('admin', ['user/*.cruds']), 'AuditEvent', 'create'))).toBe(403);
    expect(statusOf(() => assertTypeGranted(user('patient', ['user/*.rs']), 'AuditEvent', 'read'))).toBe(200);
  });
});

describe('read and write reach', () => {
  test('reads need one reached patient; writes need all of them', () => {
    const a = access(user('patient', ['patient/*.cruds'], { fhirUser: 'Patient/a' }), reach(['a']), reach(['a']));
    const performedForB = observation('Patient/b', { performer: [{ reference: 'Patient/a' }] });
    expect(mayRead(a, performedForB)).toBe(true);
    expect(statusOf(() => assertWritableAfter(a, undefined, performedForB, 'create'))).toBe(403);
    expect(statusOf(() => assertWritableAfter(a, undefined, observation('Patient/a'), 'create'))).toBe(200);
    expect(statusOf(() => assertWritableBefore(a, observation('Patient/b'), 'update'))).toBe(404);
    const moved = observation('Patient/b');
    expect(statusOf(() => assertWritableAfter(a, observation('Patient/a'), moved, 'update'))).toBe(403);
  });

  test('granular scopes: the resource must match the query', () => {
    const vital = {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }],
    };
    const scoped = access(
      user('patient', ['patient/Observation.rs?category=vital-signs'], { fhirUser: 'Patient/a' }),
      reach(['a']),
      reach(['a'])
    );
    expect(mayRead(scoped, observation('Patient/a', { category: [vital] }))).toBe(true);
    expect(mayRead(scoped, observation('Patient/a'))).toBe(false);
  });

  test('patient/ scopes reach the launch patient only when the account reaches them', () => {
    const clinician = user('clinician', ['patient/*.rs'], { fhirUser: 'Practitioner/d', patient: 'b' });
    expect([...launchReach(clinician, reach(['a', 'b'])).patients]).toEqual(['b']);
    expect([...launchReach(clinician, reach(['a'])).patients]).toEqual([]);
    const patient = user('patient', ['patient/*.rs'], { fhirUser: 'Patient/a' });
    expect([...launchReach(patient, reach(['a'])).patients]).toEqual(['a']);
  });

  test('Patient.managingOrganization: only admins move a patient, and only to their own organizations', () => {
    const patient = (org: string): Resource => ({
      resourceType: 'Patient',
      id: 'a',
      managingOrganization: { reference: `Organization/${org}` },
    });
    const clinician = access(
      user('clinician', ['user/*.cruds'], { fhirUser: 'Practitioner/d' }),
      reach(['a'], ['Organization/A'])
    );
    expect(statusOf(() => assertWritableAfter(clinician, patient('A'), patient('B'), 'update'))).toBe(403);
    const admin = access(
      user('admin', ['user/*.cruds'], { fhirUser: 'Practitioner/x' }),
      reach(['a'], ['Organization/A', 'Organization/C'])
    );
    expect(statusOf(() => assertWritableAfter(admin, patient('A'), patient('B'), 'update'))).toBe(403);
    expect(statusOf(() => assertWritableAfter(admin, patient('A'), patient('C'), 'update'))).toBe(200);
    expect(statusOf(() => assertWritableAfter(clinician, undefined, { ...patient('A'), id: 'new' }, 'create'))).toBe(
      200
    );
  });
});
