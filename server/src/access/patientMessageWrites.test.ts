// Patients' and carers' message writes: in memory (the rule) and through HTTP (care-team recipients, 403 outcomes).
import { randomUUID } from 'node:crypto';
import type { Communication, OperationOutcome } from '@medplum/fhirtypes';
import { beforeAll, describe, expect, test } from 'vitest';
import type { Caller } from '../auth/authenticate.ts';
import { loadFhirDefinitions } from '../fhir/definitions.ts';
import { useTestServer } from '../testing/testServer.ts';
import type { CallerAccess } from './callerAccess.ts';
import { grantingScopes } from './grants.ts';
import { patientMessageProblem } from './patientMessageWrites.ts';
import { NO_REACH } from './reach.ts';
import { asUser, careNetwork, createAll } from './testWorld.ts';

loadFhirDefinitions();
const ctx = useTestServer();
const BASE = 'https://rpm.example/fhir/R4';

const caller = (role: Caller['role'], fhirUser: string): Caller => ({
  clientId: 'app',
  subject: 'account',
  expiresAt: 0,
  role,
  fhirUser,
  scopes: ['patient/*.cruds'],
});
const accessOf = (c: Caller, patients: string[]): CallerAccess => ({
  caller: c,
  fhirBaseUrl: BASE,
  reach: { user: { ...NO_REACH, patients: new Set(patients) }, patient: { ...NO_REACH, patients: new Set(patients) } },
});
const message = (sender: string, recipients: string[], extra: Partial<Communication> = {}): Communication => ({
  resourceType: 'Communication',
  status: 'completed',
  subject: { reference: 'Patient/a' },
  sender: { reference: sender },
  recipient: recipients.map((reference) => ({ reference })),
  sent: '2026-03-12T10:00:00Z',
  payload: [{ contentString: 'Hello' }],
  ...extra,
});

describe('the rule in memory', () => {
  const patient = accessOf(caller('patient', 'Patient/a'), ['a']);
  const carer = accessOf(caller('carer', 'RelatedPerson/r'), ['a']);

  test('a new message: from the caller, about their patient, to Practitioners, PractitionerRoles or CareTeams', () => {
    expect(patientMessageProblem(patient, undefined, message('Patient/a', ['Practitioner/d']))).toBeUndefined();
    expect(
      patientMessageProblem(patient, undefined, message(`${BASE}/Patient/a`, ['CareTeam/t', 'PractitionerRole/r']))
    ).toBeUndefined();
    expect(patientMessageProblem(patient, undefined, message('Practitioner/d', ['Patient/a']))).toMatch(
      /sender must be Patient\/a/
    );
    const aboutOther = message('Patient/a', ['Practitioner/d'], { subject: { reference: 'Patient/b' } });
    expect(patientMessageProblem(patient, undefined, aboutOther)).toMatch(/subject must be that Patient/);
    expect(patientMessageProblem(patient, undefined, message('Patient/a', []))).toMatch(/must have a recipient/);
    expect(patientMessageProblem(patient, undefined, message('Patient/a', ['Patient/b']))).toMatch(/not Patient\/b/);
    // A carer writes as themselves (their RelatedPerson), never as the patient.
    expect(patientMessageProblem(carer, undefined, message('RelatedPerson/r', ['Practitioner/d']))).toBeUndefined();
    expect(patientMessageProblem(carer, undefined, message('Patient/a', ['Practitioner/d']))).toMatch(/sender/);
  });

  test('an update: only a recipient, only to set received, once', () => {
    const toPatient = { ...message('Practitioner/d', ['Patient/a']), id: 'm1', meta: { versionId: '1' } };
    const read = { ...toPatient, received: '2026-03-12T10:05:00Z', meta: { versionId: '2' } };
    expect(patientMessageProblem(patient, toPatient, read)).toBeUndefined();
    expect(patientMessageProblem(patient, read, { ...read, meta: { versionId: '3' } })).toBeUndefined();
    expect(patientMessageProblem(patient, read, { ...read, received: '2026-03-12T11:00:00Z' })).toMatch(
      /already marked as read/
    );
    const edited = { ...read, payload: [{ contentString: 'Changed' }] };
    expect(patientMessageProblem(patient, toPatient, edited)).toMatch(/only be marked as read/);
    const mine = { ...message('Patient/a', ['Practitioner/d']), id: 'm2' };
    expect(patientMessageProblem(patient, mine, { ...mine, received: '2026-03-12T10:05:00Z' })).toMatch(
      /Only a recipient/
    );
  });

  test('patients and carers never delete a message; clinicians still may', () => {
    expect(grantingScopes(caller('patient', 'Patient/a'), 'Communication', 'delete')).toEqual([]);
    expect(grantingScopes(caller('carer', 'RelatedPerson/r'), 'Communication', 'delete')).toEqual([]);
    expect(grantingScopes(caller('patient', 'Patient/a'), 'Observation', 'delete')).toHaveLength(1);
    expect(grantingScopes(caller('clinician', 'Practitioner/d'), 'Communication', 'delete')).toHaveLength(1);
  });
});

describe('through HTTP', () => {
  const tag = randomUUID().slice(0, 8);
  let id: Record<string, string>;
  const ref = (key: string, type: string): string => `${type}/${id[key]}`;
  const post = (body: unknown): RequestInit => ({ method: 'POST', body: JSON.stringify(body) });
  const put = (body: unknown): RequestInit => ({ method: 'PUT', body: JSON.stringify(body) });

  beforeAll(async () => {
    id = await createAll(ctx, careNetwork(tag));
    // a1's care team: drA (a1 is also in drA's organization).
    const team = await createAll(ctx, {
      teamA1: {
        resourceType: 'CareTeam',
        status: 'active',
        subject: { reference: `Patient/${id.a1}` },
        participant: [{ member: { reference: `Practitioner/${id.drA}` } }],
      },
    });
    id = { ...id, ...team };
  });

  const toTeam = (sender: string, recipients: string[], text = 'My ankles are swollen.'): Communication => ({
    resourceType: 'Communication',
    status: 'completed',
    subject: { reference: ref('a1', 'Patient') },
    sender: { reference: sender },
    recipient: recipients.map((reference) => ({ reference })),
    sent: new Date().toISOString(),
    payload: [{ contentString: text }],
  });

  async function refusal(res: Response): Promise<string | undefined> {
    expect(res.status).toBe(403);
    const outcome = (await res.json()) as OperationOutcome;
    expect(outcome.resourceType).toBe('OperationOutcome');
    expect(outcome.issue?.[0].code).toBe('forbidden');
    return outcome.issue?.[0].details?.text;
  }

  test('a patient sends to their care team (members or the team), as themselves only', async () => {
    const a1 = await asUser(ctx, { role: 'patient', fhirUser: ref('a1', 'Patient') }, 'patient/*.cruds');
    const me = ref('a1', 'Patient');
    expect((await a1('Communication', post(toTeam(me, [ref('drA', 'Practitioner')])))).status).toBe(201);
    expect((await a1('Communication', post(toTeam(me, [ref('teamA1', 'CareTeam')])))).status).toBe(201);

    const forged = await a1('Communication', post(toTeam(ref('drA', 'Practitioner'), [me])));
    expect(await refusal(forged)).toMatch(/must be sent from you/);
    // drB is a clinician, but not on a1's care team; drTeam is on another patient's team.
    const outsider = await a1(
      'Communication',
      post(toTeam(me, [ref('drA', 'Practitioner'), ref('drB', 'Practitioner')]))
    );
    expect(await refusal(outsider)).toContain(`not on a CareTeam of this patient: ${ref('drB', 'Practitioner')}`);
    const otherTeam = await a1('Communication', post(toTeam(me, [ref('teamX', 'CareTeam')])));
    expect(await refusal(otherTeam)).toMatch(/care team only/);
    expect(await refusal(await a1('Communication', post(toTeam(me, []))))).toMatch(/must have a recipient/);
  });

  test("a patient marks a clinician's message as read, and cannot edit or delete it", async () => {
    const drA = await asUser(ctx, { role: 'clinician', fhirUser: ref('drA', 'Practitioner') }, 'user/*.cruds');
    const sent = await drA(
      'Communication',
      post(toTeam(ref('drA', 'Practitioner'), [ref('a1', 'Patient')], 'Please weigh yourself.'))
    );
    expect(sent.status).toBe(201);
    const reply = (await sent.json()) as Communication;
    const a1 = await asUser(ctx, { role: 'patient', fhirUser: ref('a1', 'Patient') }, 'patient/*.cruds');

    const edited = await a1(`Communication/${reply.id}`, put({ ...reply, payload: [{ contentString: 'Changed' }] }));
    expect(await refusal(edited)).toMatch(/only be marked as read/);
    expect(await refusal(await a1(`Communication/${reply.id}`, { method: 'DELETE' }))).toBe(
      'A patient account may not delete Communication resources'
    );

    const read = await a1(`Communication/${reply.id}`, put({ ...reply, received: '2026-03-12T10:05:00Z' }));
    expect(read.status).toBe(200);
    const stored = (await (await ctx.api(`Communication/${reply.id}`)).json()) as Communication;
    expect(stored.received).toBe('2026-03-12T10:05:00Z');
    expect(stored.payload).toEqual([{ contentString: 'Please weigh yourself.' }]);
    const again = await a1(`Communication/${reply.id}`, put({ ...stored, received: '2026-03-12T11:00:00Z' }));
    expect(await refusal(again)).toMatch(/already marked as read/);

    // The patient's own sent message is final: they are not its recipient.
    const mine = (await (
      await a1('Communication', post(toTeam(ref('a1', 'Patient'), [ref('drA', 'Practitioner')])))
    ).json()) as Communication;
    const rewritten = await a1(`Communication/${mine.id}`, put({ ...mine, payload: [{ contentString: 'Other' }] }));
    expect(await refusal(rewritten)).toMatch(/Only a recipient/);
    // JSON Patch goes through the same rule.
    const patched = await a1(`Communication/${mine.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json-patch+json' },
      body: JSON.stringify([{ op: 'replace', path: '/sender/reference', value: ref('drA', 'Practitioner') }]),
    });
    expect(patched.status).toBe(403);

    // Clinicians' rules are unchanged: they mark the patient's message as read, and may delete.
    expect((await drA(`Communication/${mine.id}`, put({ ...mine, received: new Date().toISOString() }))).status).toBe(
      200
    );
    expect((await drA(`Communication/${reply.id}`, { method: 'DELETE' })).status).toBe(200);
  });

  test('a carer writes as their own RelatedPerson to the care team, never as the patient', async () => {
    const carer = await asUser(ctx, { role: 'carer', fhirUser: ref('carer', 'RelatedPerson') }, 'user/*.cruds');
    const ownName = await carer(
      'Communication',
      post(toTeam(ref('carer', 'RelatedPerson'), [ref('drA', 'Practitioner')]))
    );
    expect(ownName.status).toBe(201);
    const asPatient = await carer('Communication', post(toTeam(ref('a1', 'Patient'), [ref('drA', 'Practitioner')])));
    expect(await refusal(asPatient)).toMatch(/must be sent from you/);
  });
});
