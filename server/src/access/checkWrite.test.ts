// Writes through HTTP: before and after the change within reach, admins' directory, transactions, AuditEvents.
import { randomUUID } from 'node:crypto';
import type { AuditEvent, Bundle, Observation, OperationOutcome, Patient, Resource } from '@medplum/fhirtypes';
import { beforeAll, describe, expect, test } from 'vitest';
import { useTestServer } from '../testing/testServer.ts';
import { asUser, careNetwork, createAll, observation } from './testWorld.ts';

const ctx = useTestServer();
const tag = randomUUID().slice(0, 8);
let id: Record<string, string>;

beforeAll(async () => {
  id = await createAll(ctx, careNetwork(tag));
});

const ref = (key: string, type: string): string => `${type}/${id[key]}`;
const json = (body: unknown): RequestInit => ({ body: JSON.stringify(body) });
const put = (body: unknown): RequestInit => ({ method: 'PUT', ...json(body) });
const post = (body: unknown): RequestInit => ({ method: 'POST', ...json(body) });

async function adminRead<T>(path: string): Promise<T> {
  return (await (await ctx.api(path)).json()) as T;
}

describe('a patient writing their own data', () => {
  test('creates an Observation about themselves, not about another patient', async () => {
    const a1 = await asUser(ctx, { role: 'patient', fhirUser: ref('a1', 'Patient') }, 'patient/Observation.cruds');
    expect((await a1('Observation', post(observation(ref('a1', 'Patient'), 'vital-signs')))).status).toBe(201);
    const other = await a1('Observation', post(observation(ref('a2', 'Patient'), 'vital-signs')));
    expect(other.status).toBe(403);
    expect(((await other.json()) as OperationOutcome).issue?.[0].details?.text).toMatch(/outside what this token/);
    // In a1's compartment as performer, but about a2: a write into a2's record.
    const performed = observation(ref('a2', 'Patient'), 'vital-signs', {
      performer: [{ reference: ref('a1', 'Patient') }],
    });
    expect((await a1('Observation', post(performed))).status).toBe(403);
  });

  test('cannot move their Observation to another patient (PUT or PATCH); the stored version is unchanged', async () => {
    const a1 = await asUser(ctx, { role: 'patient', fhirUser: ref('a1', 'Patient') }, 'patient/Observation.cruds');
    const current = await adminRead<Observation>(`Observation/${id.a1Vital}`);
    const moved = { ...current, subject: { reference: ref('a2', 'Patient') } };
    expect((await a1(`Observation/${id.a1Vital}`, put(moved))).status).toBe(403);
    const patch = await a1(`Observation/${id.a1Vital}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json-patch+json' },
      body: JSON.stringify([{ op: 'replace', path: '/subject/reference', value: ref('a2', 'Patient') }]),
    });
    expect(patch.status).toBe(403);
    expect((await adminRead<Observation>(`Observation/${id.a1Vital}`)).meta?.versionId).toBe(current.meta?.versionId);
    const kept = { ...current, status: 'amended' };
    expect((await a1(`Observation/${id.a1Vital}`, put(kept))).status).toBe(200);
  });

  test("updating or deleting another patient's Observation answers 404, like a missing one", async () => {
    const a1 = await asUser(ctx, { role: 'patient', fhirUser: ref('a1', 'Patient') }, 'patient/Observation.cruds');
    const theirs = await adminRead<Observation>(`Observation/${id.a2Vital}`);
    const hijack = { ...theirs, subject: { reference: ref('a1', 'Patient') } };
    expect((await a1(`Observation/${id.a2Vital}`, put(hijack))).status).toBe(404);
    expect((await a1(`Observation/${id.a2Vital}`, { method: 'DELETE' })).status).toBe(404);
    expect((await ctx.api(`Observation/${id.a2Vital}`)).status).toBe(200);
  });

  test('cannot change their managingOrganization (it decides who reaches them)', async () => {
    const a1 = await asUser(ctx, { role: 'patient', fhirUser: ref('a1', 'Patient') }, 'patient/Patient.rus');
    const me = await adminRead<Patient>(`Patient/${id.a1}`);
    const moved = { ...me, managingOrganization: { reference: ref('orgB', 'Organization') } };
    expect((await a1(`Patient/${id.a1}`, put(moved))).status).toBe(403);
    expect((await a1(`Patient/${id.a1}`, put({ ...me, birthDate: '1950-01-01' }))).status).toBe(200);
  });
});

describe('clinicians and admins', () => {
  test("a clinician writes their organization's patients' data, and creates patients in their organization only", async () => {
    const drA = await asUser(ctx, { role: 'clinician', fhirUser: ref('drA', 'Practitioner') }, 'user/*.cruds');
    expect((await drA('Observation', post(observation(ref('a2', 'Patient'), 'laboratory')))).status).toBe(201);
    expect((await drA('Observation', post(observation(ref('b1', 'Patient'), 'laboratory')))).status).toBe(403);
    const inOrg = { resourceType: 'Patient', managingOrganization: { reference: ref('orgA', 'Organization') } };
    expect((await drA('Patient', post(inOrg))).status).toBe(201);
    const elsewhere = { resourceType: 'Patient', managingOrganization: { reference: ref('orgB', 'Organization') } };
    expect((await drA('Patient', post(elsewhere))).status).toBe(403);
    expect((await drA('Patient', post({ resourceType: 'Patient' }))).status).toBe(403);
  });

  test('only admins write directory and relationship resources; a clinician reads them', async () => {
    const drA = await asUser(ctx, { role: 'clinician', fhirUser: ref('drA', 'Practitioner') }, 'user/*.cruds');
    expect((await drA('Practitioner', post({ resourceType: 'Practitioner' }))).status).toBe(403);
    expect((await drA(`PractitionerRole/${id.roleA}`)).status).toBe(200);
    const team = await adminRead<object>(`CareTeam/${id.teamX}`);
    // CareTeams decide who reaches whom: a clinician on a team of a patient outside their organizations cannot change it.
    const drTeam = await asUser(ctx, { role: 'clinician', fhirUser: ref('drTeam', 'Practitioner') }, 'user/*.cruds');
    expect((await drTeam(`CareTeam/${id.teamX}`, put({ ...team, name: 'renamed' }))).status).toBe(403);
    expect((await drTeam(`CareTeam/${id.teamX}`)).status).toBe(200);

    const admin = await asUser(ctx, { role: 'admin', fhirUser: ref('admin', 'Practitioner') }, 'user/*.cruds');
    expect((await admin('Practitioner', post({ resourceType: 'Practitioner' }))).status).toBe(201);
    expect((await admin('Location', post({ resourceType: 'Location', name: `Ward ${tag}` }))).status).toBe(201);
    expect((await admin('Organization', post({ resourceType: 'Organization', name: `New ${tag}` }))).status).toBe(201);
    const roleInA = {
      resourceType: 'PractitionerRole',
      practitioner: { reference: ref('drB', 'Practitioner') },
      organization: { reference: ref('orgA', 'Organization') },
    };
    expect((await admin('PractitionerRole', post(roleInA))).status).toBe(201);
    // An admin cannot open another organization to anyone (themselves included).
    const roleInB = {
      ...roleInA,
      practitioner: { reference: ref('admin', 'Practitioner') },
      organization: { reference: ref('orgB', 'Organization') },
    };
    expect((await admin('PractitionerRole', post(roleInB))).status).toBe(403);
    const careTeam = { resourceType: 'CareTeam', subject: { reference: ref('a2', 'Patient') } };
    expect((await admin('CareTeam', post(careTeam))).status).toBe(201);
    expect((await admin('CareTeam', post({ ...careTeam, subject: { reference: ref('b1', 'Patient') } }))).status).toBe(
      403
    );
  });

  test('an admin moves a patient only to one of their own organizations', async () => {
    const admin = await asUser(ctx, { role: 'admin', fhirUser: ref('admin', 'Practitioner') }, 'user/*.cruds');
    const created = (await (
      await admin(
        'Patient',
        post({ resourceType: 'Patient', managingOrganization: { reference: ref('orgA', 'Organization') } })
      )
    ).json()) as Patient;
    const toB = { ...created, managingOrganization: { reference: ref('orgB', 'Organization') } };
    expect((await admin(`Patient/${created.id}`, put(toB))).status).toBe(403);
    const carer = await asUser(ctx, { role: 'carer', fhirUser: ref('carer', 'RelatedPerson') }, 'user/*.cruds');
    const me = await adminRead<object>(`RelatedPerson/${id.carer}`);
    const reassigned = { ...me, patient: { reference: ref('b1', 'Patient') } };
    expect((await carer(`RelatedPerson/${id.carer}`, put(reassigned))).status).toBe(403);
  });
});

describe("enrolment: a clinician writes CareTeams of their organization's patients (careTeamWrites.ts)", () => {
  const team = (subject: string, members: string[], extra: object = {}): object => ({
    resourceType: 'CareTeam',
    status: 'active',
    subject: { reference: subject },
    participant: members.map((m) => ({ member: { reference: m } })),
    ...extra,
  });

  test('enrols in one transaction (Patient, CareTeam with themselves, CarePlan) and discharges (update)', async () => {
    const drA = await asUser(ctx, { role: 'clinician', fhirUser: ref('drA', 'Practitioner') }, 'user/*.cruds');
    const urn = `urn:uuid:${randomUUID()}`;
    const nhs = `9${randomUUID().replace(/\D/g, '').slice(0, 9)}`;
    const bundle: Bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: urn,
          resource: {
            resourceType: 'Patient',
            identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: nhs }],
            managingOrganization: { reference: ref('orgA', 'Organization') },
          },
          request: {
            method: 'POST',
            url: 'Patient',
            ifNoneExist: `identifier=https://fhir.nhs.uk/Id/nhs-number|${nhs}`,
          },
        },
        {
          resource: team(urn, [ref('drA', 'Practitioner'), ref('admin', 'Practitioner')]) as Resource,
          request: { method: 'POST', url: 'CareTeam' },
        },
        {
          resource: {
            resourceType: 'CarePlan',
            status: 'active',
            intent: 'plan',
            subject: { reference: urn },
          },
          request: { method: 'POST', url: 'CarePlan' },
        },
      ],
    };
    const res = await drA('', post(bundle));
    expect(res.status, await res.clone().text()).toBe(200);
    const locations = ((await res.json()) as Bundle).entry?.map((e) => e.response?.location ?? '') ?? [];
    const teamId = locations[1].split('/')[1];
    const created = await adminRead<Resource & { status: string }>(`CareTeam/${teamId}`);
    // Discharge: the team ends; a clinician never deletes one.
    const ended = { ...created, status: 'inactive', period: { end: '2026-01-01' } };
    expect((await drA(`CareTeam/${teamId}`, put(ended))).status).toBe(200);
    expect((await drA(`CareTeam/${teamId}`, { method: 'DELETE' })).status).toBe(403);
    // The same transaction again: the conditional create finds the patient; nothing new about them is half-written.
    const again = await drA('', post(bundle));
    expect(again.status).toBe(200);
    expect(((await again.json()) as Bundle).entry?.[0].response?.status).toMatch(/^200/);
  });

  test("refused: another organization's patient, a team without themselves, a member outside their organizations", async () => {
    const drA = await asUser(ctx, { role: 'clinician', fhirUser: ref('drA', 'Practitioner') }, 'user/*.cruds');
    const me = ref('drA', 'Practitioner');
    expect((await drA('CareTeam', post(team(ref('a2', 'Patient'), [me])))).status).toBe(201);
    expect((await drA('CareTeam', post(team(ref('a2', 'Patient'), [ref('roleA', 'PractitionerRole')])))).status).toBe(
      201
    );
    expect((await drA('CareTeam', post(team(ref('b1', 'Patient'), [me])))).status).toBe(403);
    expect((await drA('CareTeam', post(team(ref('a2', 'Patient'), [ref('admin', 'Practitioner')])))).status).toBe(403);
    const outsider = await drA('CareTeam', post(team(ref('a2', 'Patient'), [me, ref('drTeam', 'Practitioner')])));
    expect(outsider.status).toBe(403);
    expect(((await outsider.json()) as OperationOutcome).issue?.[0].details?.text).toMatch(/colleagues/);
    // Reached only through a CareTeam (not the organization): a team member cannot open the patient to others.
    const drTeam = await asUser(ctx, { role: 'clinician', fhirUser: ref('drTeam', 'Practitioner') }, 'user/*.cruds');
    expect((await drTeam('CareTeam', post(team(ref('x', 'Patient'), [ref('drTeam', 'Practitioner')])))).status).toBe(
      403
    );
    // Patients and carers still write no CareTeam.
    const a1 = await asUser(ctx, { role: 'patient', fhirUser: ref('a1', 'Patient') }, 'user/*.cruds');
    expect((await a1('CareTeam', post(team(ref('a1', 'Patient'), [me])))).status).toBe(403);
  });
});

describe('transactions, batches and conditional writes', () => {
  test('a transaction with one entry out of reach fails as a whole and writes nothing', async () => {
    const a1 = await asUser(ctx, { role: 'patient', fhirUser: ref('a1', 'Patient') }, 'patient/Observation.cruds');
    const marker = `tx-${randomUUID()}`;
    const mine = observation(ref('a1', 'Patient'), 'vital-signs', {
      identifier: [{ system: 'urn:test', value: marker }],
    });
    const theirs = observation(ref('a2', 'Patient'), 'vital-signs', {
      identifier: [{ system: 'urn:test', value: marker }],
    });
    const bundle: Bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { resource: mine, request: { method: 'POST', url: 'Observation' } },
        { resource: theirs, request: { method: 'POST', url: 'Observation' } },
      ],
    };
    const res = await a1('', post(bundle));
    expect(res.status).toBe(403);
    const found = await adminRead<Bundle>(`Observation?identifier=urn:test|${marker}`);
    expect(found.entry ?? []).toHaveLength(0);
  });

  test('a batch answers 404 for the entries out of reach and 200 for the others', async () => {
    const a1 = await asUser(ctx, { role: 'patient', fhirUser: ref('a1', 'Patient') }, 'patient/*.rs');
    const bundle: Bundle = {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        { request: { method: 'GET', url: `Observation/${id.a1Vital}` } },
        { request: { method: 'GET', url: `Observation/${id.a2Vital}` } },
        { request: { method: 'GET', url: `Patient?_id=${id.a1},${id.a2}` } },
      ],
    };
    const res = await a1('', post(bundle));
    const body = (await res.json()) as Bundle;
    expect(body.entry?.map((e) => e.response?.status.slice(0, 3))).toEqual(['200', '404', '200']);
    const search = body.entry?.[2].resource as Bundle;
    expect(search.entry?.map((e) => e.resource?.id)).toEqual([id.a1]);
  });

  test("conditional update and delete match only within reach: another patient's resource is left alone", async () => {
    const a1 = await asUser(ctx, { role: 'patient', fhirUser: ref('a1', 'Patient') }, 'patient/Observation.cruds');
    const before = await adminRead<Observation>(`Observation/${id.b1Identified}`);
    const mine = observation(ref('a1', 'Patient'), 'laboratory', {
      identifier: [{ system: 'urn:test', value: `b1-${tag}` }],
    });
    const res = await a1(`Observation?identifier=urn:test|b1-${tag}`, put(mine));
    expect(res.status).toBe(201); // no match within reach: a new resource
    expect(((await res.json()) as Observation).id).not.toBe(id.b1Identified);
    expect(
      (await a1(`Observation?identifier=urn:test|b1-${tag}&subject=${ref('b1', 'Patient')}`, { method: 'DELETE' }))
        .status
    ).toBeLessThan(300);
    const after = await adminRead<Observation>(`Observation/${id.b1Identified}`);
    expect(after.meta?.versionId).toBe(before.meta?.versionId);
  });
});

describe('AuditEvent', () => {
  const auditEvent = (patient: string): AuditEvent => ({
    resourceType: 'AuditEvent',
    type: { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest' },
    recorded: new Date().toISOString(),
    agent: [{ requestor: true, who: { reference: patient } }],
    source: { observer: { display: 'test' } },
  });

  test('system clients create; nobody updates, patches or deletes; users read those in their reach', async () => {
    const created = await ctx.api('AuditEvent', post(auditEvent(ref('a1', 'Patient'))));
    expect(created.status).toBe(201);
    const event = (await created.json()) as AuditEvent;
    const other = (await (await ctx.api('AuditEvent', post(auditEvent(ref('a2', 'Patient'))))).json()) as AuditEvent;
    const update = await ctx.api(`AuditEvent/${event.id}`, put({ ...event, outcome: '4' }));
    expect(update.status).toBe(403);
    expect(((await update.json()) as OperationOutcome).issue?.[0].details?.text).toMatch(/append-only/);
    expect((await ctx.api(`AuditEvent/${event.id}`, { method: 'DELETE' })).status).toBe(403);
    const patch = await ctx.api(`AuditEvent/${event.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json-patch+json' },
      body: JSON.stringify([{ op: 'replace', path: '/outcome', value: '4' }]),
    });
    expect(patch.status).toBe(403);

    const a1 = await asUser(ctx, { role: 'patient', fhirUser: ref('a1', 'Patient') }, 'user/*.cruds');
    expect((await a1(`AuditEvent/${event.id}`)).status).toBe(200);
    expect((await a1(`AuditEvent/${other.id}`)).status).toBe(404);
    expect((await a1('AuditEvent', post(auditEvent(ref('a1', 'Patient'))))).status).toBe(403);
    expect((await a1(`AuditEvent/${event.id}`, { method: 'DELETE' })).status).toBe(403);
  });
});
