// Check-ins and messages on a real server: the seed assigns the check-in; a patient answers it (red flag → amber alert
// by the built-in bot) and writes to their care team; what access refuses.
import type {
  CarePlan,
  CareTeam,
  Communication,
  DetectedIssue,
  Practitioner,
  Questionnaire,
  QuestionnaireResponse,
} from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import { CHECK_IN_ANSWER_SYSTEM } from '../../../bots/src/rules/checkIns/findCheckInRedFlags.ts';
import { validateResourceDetailed } from '../fhir/conformance/validateResource.ts';
import { PostgresRepository } from '../fhir/repository/postgresRepository.ts';
import { enrolPatient, ensureProgramme } from '../testing/monitoring.ts';
import { fhirFetch, useTestServer } from '../testing/testServer.ts';
import { issueUserToken } from '../testing/userTokens.ts';
import { assignSymptomCheckIns, SYMPTOM_CHECK_IN_URL } from './symptomCheckIns.ts';

const ctx = useTestServer({ RPM_BUILT_IN_BOTS: 'true' });

async function waitFor<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() > deadline) {
      return value;
    }
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** A patient enrolled in heart failure, with the check-in assigned by the seed code, and a patient-app token. */
async function enrolledPatient() {
  await ensureProgramme(ctx.medplum, 'heart-failure');
  const { patient } = await enrolPatient(ctx.medplum, 'heart-failure');
  const repo = new PostgresRepository(ctx.server.pool, { fhirBaseUrl: ctx.server.fhirBaseUrl });
  const counter = { created: 0 };
  await repo.withTransaction((tx) => assignSymptomCheckIns(tx, counter, [`Patient/${patient.id}`]), {
    resourceTypes: [],
  });
  const token = await issueUserToken(ctx.server, {
    accountId: `patient-${patient.id}`,
    scope: 'launch/patient openid fhirUser patient/*.cruds',
    role: 'patient',
    fhirUser: `Patient/${patient.id}`,
    patient: patient.id,
  });
  return { patient, api: fhirFetch(ctx.server, token) };
}

function checkIn(patientId: string, breathing: string): QuestionnaireResponse {
  return {
    resourceType: 'QuestionnaireResponse',
    status: 'completed',
    questionnaire: SYMPTOM_CHECK_IN_URL,
    subject: { reference: `Patient/${patientId}` },
    authored: new Date().toISOString(),
    item: [
      {
        linkId: 'breathing',
        text: 'How is your breathing today?',
        answer: [{ valueCoding: { system: CHECK_IN_ANSWER_SYSTEM, code: breathing } }],
      },
      { linkId: 'propped-up', answer: [{ valueBoolean: false }] },
    ],
  };
}

describe('symptom check-ins', () => {
  test('the seed stores the Questionnaire and adds a valid check-in activity to the CarePlan, once', async () => {
    const { patient } = await enrolledPatient();
    const repo = new PostgresRepository(ctx.server.pool, { fhirBaseUrl: ctx.server.fhirBaseUrl });
    await repo.withTransaction((tx) => assignSymptomCheckIns(tx, { created: 0 }, [`Patient/${patient.id}`]), {
      resourceTypes: [],
    });
    const [carePlan] = await ctx.medplum.searchResources('CarePlan', { subject: `Patient/${patient.id}` });
    const checkIns = (carePlan as CarePlan).activity?.filter((a) =>
      a.detail?.instantiatesCanonical?.includes(SYMPTOM_CHECK_IN_URL)
    );
    expect(checkIns).toHaveLength(1);
    expect(checkIns?.[0].detail?.scheduledTiming?.repeat?.timeOfDay).toEqual(['09:00:00']);
    const report = validateResourceDetailed(carePlan);
    expect([...report.baseIssues, ...report.profileIssues].filter((i) => i.severity === 'error')).toEqual([]);
  });

  test('a patient reads the Questionnaire and answers it; a red flag raises one amber alert through the bot', async () => {
    const { patient, api } = await enrolledPatient();
    const read = await api(`Questionnaire?url=${encodeURIComponent(SYMPTOM_CHECK_IN_URL)}`);
    expect(read.status).toBe(200);
    const questionnaire = (await read.json()).entry?.[0]?.resource as Questionnaire;
    expect(questionnaire.item?.map((i) => i.linkId)).toContain('breathing');

    const calm = await api('QuestionnaireResponse', {
      method: 'POST',
      body: JSON.stringify(checkIn(patient.id, 'usual')),
    });
    expect(calm.status).toBe(201);
    const flagged = await api('QuestionnaireResponse', {
      method: 'POST',
      body: JSON.stringify(checkIn(patient.id, 'at-rest')),
    });
    expect(flagged.status).toBe(201);
    const flaggedId = ((await flagged.json()) as QuestionnaireResponse).id;
    const alerts = await waitFor(
      async () =>
        (await ctx.medplum.searchResources('DetectedIssue', { patient: `Patient/${patient.id}` })).filter((a) =>
          a.identifier?.some((i) => i.value?.startsWith('symptom-check-in-red-flag'))
        ),
      (a) => a.length > 0
    );
    expect(alerts).toHaveLength(1);
    expect(alerts[0] as DetectedIssue).toMatchObject({
      status: 'preliminary',
      severity: 'moderate',
      implicated: [{ reference: `QuestionnaireResponse/${flaggedId}` }],
    });

    // Another patient's record: refused.
    const other = await enrolPatient(ctx.medplum, 'heart-failure');
    const foreign = await api('QuestionnaireResponse', {
      method: 'POST',
      body: JSON.stringify(checkIn(other.patient.id, 'usual')),
    });
    expect(foreign.status).toBe(403);
  });
});

describe('messages', () => {
  test('a patient writes to a Practitioner of their care team, reads the thread and marks a reply received', async () => {
    const { patient, api } = await enrolledPatient();
    const nurse = await ctx.medplum.createResource<Practitioner>({
      resourceType: 'Practitioner',
      name: [{ family: 'Nurse' }],
    });
    // Patients write only to their care team (server/src/access/patientMessageWrites.ts).
    await ctx.medplum.createResource<CareTeam>({
      resourceType: 'CareTeam',
      status: 'active',
      subject: { reference: `Patient/${patient.id}` },
      participant: [{ member: { reference: `Practitioner/${nurse.id}` } }],
    });
    const sent = await api('Communication', {
      method: 'POST',
      body: JSON.stringify({
        resourceType: 'Communication',
        status: 'completed',
        subject: { reference: `Patient/${patient.id}` },
        sender: { reference: `Patient/${patient.id}` },
        recipient: [{ reference: `Practitioner/${nurse.id}` }],
        sent: new Date().toISOString(),
        payload: [{ contentString: 'My ankles are more swollen today.' }],
      } satisfies Communication),
    });
    expect(sent.status).toBe(201);
    const reply = await ctx.medplum.createResource<Communication>({
      resourceType: 'Communication',
      status: 'completed',
      subject: { reference: `Patient/${patient.id}` },
      sender: { reference: `Practitioner/${nurse.id}` },
      recipient: [{ reference: `Patient/${patient.id}` }],
      sent: new Date().toISOString(),
      payload: [{ contentString: 'Thank you. Please weigh yourself now.' }],
    });
    const thread = await api(`Communication?subject=Patient/${patient.id}&_sort=sent`);
    expect(((await thread.json()).entry ?? []).length).toBe(2);
    // The patient reads a reply: Communication.received is set (the time it was received).
    const received = await api(`Communication/${reply.id}`, {
      method: 'PUT',
      body: JSON.stringify({ ...reply, received: new Date().toISOString() }),
    });
    expect(received.status).toBe(200);
    // A practitioner reads it too (directory): the thread shows the sender's name.
    expect((await api(`Practitioner/${nurse.id}`)).status).toBe(200);
  });
});
