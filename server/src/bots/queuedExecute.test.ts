// Bot/$execute with Prefer: respond-async on a real server: 202 and an AsyncJob, the queued run, a bot queueing itself.
import crypto from 'node:crypto';
import type { AsyncJob, OperationOutcome, Parameters } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import { fhirFetch, useTestServer } from '../testing/testServer.ts';
import { issueUserToken } from '../testing/userTokens.ts';
import { botRuns, createTestBot, deployTestBot, runDetail, TEST_CODE, waitFor } from './testBots.ts';

/** Two attempts, so a failing queued run reaches its last attempt within seconds (e^1 s back-off). */
const ctx = useTestServer({ RPM_DELIVERY_MAX_ATTEMPTS: '2' });

const ASYNC = { prefer: 'respond-async' };

function post(path: string, body: unknown, headers: Record<string, string> = {}, token?: string): Promise<Response> {
  const api = token ? fhirFetch(ctx.server, token) : ctx.api;
  return api(path, { method: 'POST', body: JSON.stringify(body), headers });
}

const patientInput = (id: string) => ({ resourceType: 'Patient', id });

/** Creates an Observation about the input Patient, or (a Parameters input) about its `patient`. */
const CREATE_OBSERVATION = `export async function handler(medplum, event) {
  const patient = event.input.resourceType === 'Parameters' ? event.input.parameter[0].valueString : event.input.id;
  console.log('queued run for', patient);
  const observation = await medplum.createResource({
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [${JSON.stringify(TEST_CODE)}] },
    subject: { reference: 'Patient/' + patient },
    valueString: 'from a queued run',
  });
  return { id: observation.id };
}`;

/** Given a Patient, queues a run of itself with a Parameters naming that patient; given that, creates the Observation. */
const QUEUES_ITSELF = `export async function handler(medplum, event) {
  if (event.input.resourceType === 'Patient') {
    const self = event.bot.reference.split('/')[1];
    const input = { resourceType: 'Parameters', parameter: [{ name: 'patient', valueString: event.input.id }] };
    return medplum.executeBot(self, input, 'application/fhir+json', { headers: { Prefer: 'respond-async' } });
  }
  ${CREATE_OBSERVATION.replace('export async function handler(medplum, event) {', '').replace(/}$/, '')}
}`;

async function storedPatientId(): Promise<string> {
  return (await ctx.medplum.createResource({ resourceType: 'Patient' })).id as string;
}

async function observationsOf(patient: string): Promise<number> {
  return (await ctx.medplum.searchResources('Observation', { subject: `Patient/${patient}` })).length;
}

async function asyncJobCount(): Promise<number> {
  const bundle = await ctx.medplum.search('AsyncJob', { _summary: 'count' });
  return bundle.total ?? -1;
}

/**
 * Polls a status URL (a 202's Content-Location) with MedplumClient, as Medplum's clients do, until it answers 200
 * with the AsyncJob.
 */
async function finished(statusUrl: string): Promise<AsyncJob> {
  const job = await ctx.medplum.get<AsyncJob>(statusUrl, {
    cache: 'no-cache',
    pollStatusOnAccepted: true,
    pollStatusPeriod: 100,
    signal: AbortSignal.timeout(20_000),
  });
  expect(job.resourceType).toBe('AsyncJob');
  return job;
}

/** A status URL's AsyncJob id (`…/job/[id]/status`). */
const asyncJobId = (statusUrl: string) => statusUrl.split('/').at(-2) as string;

const outputValue = (job: AsyncJob, name: string) => job.output?.parameter?.find((p) => p.name === name);

describe('Bot/$execute with Prefer: respond-async', () => {
  test('answers 202 with an AsyncJob, runs the bot in the job queue and completes the AsyncJob with its result', async () => {
    const bot = await createTestBot(ctx.medplum, 'system/Observation.crs');
    await deployTestBot(ctx.medplum, bot.id, CREATE_OBSERVATION);
    const patient = await storedPatientId();
    const response = await post(`Bot/${bot.id}/$execute`, patientInput(patient), ASYNC);
    expect(response.status, await response.clone().text()).toBe(202);
    const statusUrl = response.headers.get('content-location') as string;
    expect(statusUrl).toMatch(new RegExp(`^${ctx.server.fhirBaseUrl}/job/[^/]+/status$`));
    const outcome = (await response.json()) as OperationOutcome;
    expect(outcome.resourceType).toBe('OperationOutcome');
    expect(outcome.issue?.[0]).toMatchObject({ severity: 'information', diagnostics: statusUrl });

    const job = await finished(statusUrl);
    expect(job.id).toBe(asyncJobId(statusUrl));
    expect(job.status).toBe('completed');
    expect(job.request).toBe(`${ctx.server.fhirBaseUrl}/Bot/${bot.id}/$execute`);
    expect(Date.parse(job.transactionTime as string)).toBeGreaterThanOrEqual(Date.parse(job.requestTime));
    const result = JSON.parse(outputValue(job, 'result')?.valueString as string) as { id: string };
    const observation = await ctx.medplum.readResource('Observation', result.id);
    expect(observation.subject?.reference).toBe(`Patient/${patient}`);
    expect(outputValue(job, 'log')?.valueString).toBe(`queued run for ${patient}`);

    // The run is audited as the bot's, naming the AsyncJob as its trigger.
    const runs = await waitFor(
      () => botRuns(ctx.medplum, bot.id),
      (events) => events.length >= 1
    );
    expect(runs).toHaveLength(1);
    expect(runs[0].outcome).toBe('0');
    expect(runDetail(runs[0], 'trigger')).toBe(`AsyncJob/${job.id}`);
    expect(runDetail(runs[0], 'attempt')).toBe('1 of 2');
  });

  test("a Bot's queued runs run one at a time, in the order queued", async () => {
    const bot = await createTestBot(ctx.medplum, '');
    await deployTestBot(
      ctx.medplum,
      bot.id,
      `export async function handler(medplum, event) {
        const start = Date.now();
        await new Promise((r) => setTimeout(r, 300));
        return { run: event.input.id, start, end: Date.now() };
      }`
    );
    const statusUrls: string[] = [];
    for (const run of ['first', 'second', 'third']) {
      const response = await post(`Bot/${bot.id}/$execute`, patientInput(run), ASYNC);
      expect(response.status).toBe(202);
      statusUrls.push(response.headers.get('content-location') as string);
    }
    const runs: { run: string; start: number; end: number }[] = [];
    for (const url of statusUrls) {
      const job = await finished(url);
      expect(job.status).toBe('completed');
      runs.push(JSON.parse(outputValue(job, 'result')?.valueString as string));
    }
    expect(runs.map((r) => r.run)).toEqual(['first', 'second', 'third']);
    expect(runs[1].start).toBeGreaterThanOrEqual(runs[0].end);
    expect(runs[2].start).toBeGreaterThanOrEqual(runs[1].end);
  });

  test('a run that keeps failing is retried, then its AsyncJob ends in error with the reason', async () => {
    const bot = await createTestBot(ctx.medplum, '');
    await deployTestBot(ctx.medplum, bot.id, `export async function handler() { throw new Error('no luck'); }`);
    const response = await post(`Bot/${bot.id}/$execute`, patientInput('p'), ASYNC);
    expect(response.status).toBe(202);
    const job = await finished(response.headers.get('content-location') as string);
    expect(job.status).toBe('error');
    const outcome = outputValue(job, 'outcome')?.resource as OperationOutcome;
    expect(outcome.resourceType).toBe('OperationOutcome');
    expect(JSON.stringify(outcome.issue)).toMatch(/The bot failed: .*no luck/);
    const runs = await waitFor(
      () => botRuns(ctx.medplum, bot.id),
      (events) => events.length >= 2
    );
    expect(runs.map((run) => [run.outcome, runDetail(run, 'attempt')])).toEqual([
      ['4', '1 of 2'],
      ['4', '2 of 2'],
    ]);
  });

  test('a bot may queue a run of itself without any scope on Bot', async () => {
    const bot = await createTestBot(ctx.medplum, 'system/Observation.crs');
    await deployTestBot(ctx.medplum, bot.id, QUEUES_ITSELF);
    const patient = await storedPatientId();
    const response = await post(`Bot/${bot.id}/$execute`, patientInput(patient));
    expect(response.status, await response.clone().text()).toBe(200);
    const parameters = (await response.json()) as Parameters;
    const answer = JSON.parse(parameters.parameter?.[0].valueString as string) as OperationOutcome;
    // What MedplumClient.executeBot returned to the bot: the 202's OperationOutcome, naming the AsyncJob.
    const statusUrl = answer.issue?.[0].diagnostics as string;
    expect(statusUrl).toMatch(/\/job\/[^/]+\/status$/);
    expect((await finished(statusUrl)).status).toBe('completed');
    expect(await observationsOf(patient)).toBe(1);
  });

  test('a bot may not queue (or run) another bot, nor run itself in its own request', async () => {
    const other = await createTestBot(ctx.medplum, 'system/Observation.crs');
    await deployTestBot(ctx.medplum, other.id, CREATE_OBSERVATION);
    const bot = await createTestBot(ctx.medplum, 'system/Observation.crs');
    const attempt = (target: string, prefer: boolean) => `export async function handler(medplum, event) {
      const input = { resourceType: 'Parameters', parameter: [{ name: 'patient', valueString: event.input.id }] };
      return medplum.executeBot('${target}', input, 'application/fhir+json', ${prefer ? "{ headers: { Prefer: 'respond-async' } }" : '{}'});
    }`;
    const patient = await storedPatientId();
    const before = await asyncJobCount();
    for (const [target, prefer] of [
      [other.id, true],
      [other.id, false],
      [bot.id, false],
    ] as const) {
      await deployTestBot(ctx.medplum, bot.id, attempt(target, prefer));
      const response = await post(`Bot/${bot.id}/$execute`, patientInput(patient));
      const body = (await response.json()) as OperationOutcome;
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(JSON.stringify(body.issue)).toMatch(/The bot failed: The access token's scopes do not allow read on Bot/);
    }
    expect(await asyncJobCount()).toBe(before);
    expect(await observationsOf(patient)).toBe(0);
  });

  test('a clinician gets 403 and a body that is not a resource 400; neither queues anything', async () => {
    const bot = await createTestBot(ctx.medplum, 'system/Observation.crs');
    await deployTestBot(ctx.medplum, bot.id, CREATE_OBSERVATION);
    const clinician = await issueUserToken(ctx.server, {
      accountId: `clinician-${crypto.randomUUID()}`,
      scope: 'user/*.cruds',
      role: 'clinician',
      fhirUser: 'Practitioner/some-clinician',
    });
    const patient = await storedPatientId();
    const before = await asyncJobCount();
    const refused = await post(`Bot/${bot.id}/$execute`, patientInput(patient), ASYNC, clinician);
    expect(refused.status).toBe(403);
    const malformed = await post(`Bot/${bot.id}/$execute`, { not: 'a resource' }, ASYNC);
    expect(malformed.status).toBe(400);
    expect(JSON.stringify(((await malformed.json()) as OperationOutcome).issue)).toMatch(/FHIR resource/);
    const unknown = await post(`Bot/${crypto.randomUUID()}/$execute`, patientInput(patient), ASYNC);
    expect(unknown.status).toBe(404);
    expect(await asyncJobCount()).toBe(before);
    await new Promise((r) => setTimeout(r, 500));
    expect(await observationsOf(patient)).toBe(0);
  });
});

describe('job/[id]/status: the status URL of a queued run', () => {
  /** Sleeps, then creates the Observation about the input Patient: a run that is easy to catch waiting or running. */
  const SLOW_OBSERVATION = CREATE_OBSERVATION.replace(
    "console.log('queued run for', patient);",
    "console.log('queued run for', patient); await new Promise((r) => setTimeout(r, 1500));"
  );

  const statusOf = (url: string, method = 'GET', token?: string) =>
    (token ? fhirFetch(ctx.server, token) : ctx.api)(url.slice(ctx.server.fhirBaseUrl.length + 1), { method });

  test('answers 202 while the run waits or runs, then 200 with the AsyncJob; MedplumClient.executeBot can wait for it', async () => {
    const bot = await createTestBot(ctx.medplum, 'system/Observation.crs');
    await deployTestBot(ctx.medplum, bot.id, SLOW_OBSERVATION);
    const patient = await storedPatientId();
    const response = await post(`Bot/${bot.id}/$execute`, patientInput(patient), ASYNC);
    const statusUrl = response.headers.get('content-location') as string;
    const pending = await statusOf(statusUrl);
    expect(pending.status).toBe(202);
    expect(pending.headers.get('content-location')).toBe(statusUrl);
    expect(((await pending.json()) as OperationOutcome).issue?.[0].diagnostics).toBe(statusUrl);
    expect((await finished(statusUrl)).status).toBe('completed');

    // MedplumClient's own asynchronous request pattern: it follows the 202's Content-Location until the 200.
    const job = await ctx.medplum.executeBot(bot.id, patientInput(patient), 'application/fhir+json', {
      headers: { Prefer: 'respond-async' },
      pollStatusOnAccepted: true,
      pollStatusPeriod: 100,
    });
    expect(job).toMatchObject({ resourceType: 'AsyncJob', status: 'completed' });
    expect(outputValue(job as AsyncJob, 'log')?.valueString).toBe(`queued run for ${patient}`);
    expect(await observationsOf(patient)).toBe(2);
  });

  test('DELETE cancels a run that has not started: it never runs, its AsyncJob stays cancelled; an ended one is refused', async () => {
    const bot = await createTestBot(ctx.medplum, 'system/Observation.crs');
    await deployTestBot(ctx.medplum, bot.id, SLOW_OBSERVATION);
    const [first, second] = [await storedPatientId(), await storedPatientId()];
    const firstUrl = (await post(`Bot/${bot.id}/$execute`, patientInput(first), ASYNC)).headers.get(
      'content-location'
    ) as string;
    const secondUrl = (await post(`Bot/${bot.id}/$execute`, patientInput(second), ASYNC)).headers.get(
      'content-location'
    ) as string;
    // The second run waits behind the first (one Bot's queued runs run one at a time), which takes 1.5 s.
    const cancel = await statusOf(secondUrl, 'DELETE');
    expect(cancel.status, await cancel.clone().text()).toBe(202);

    expect((await finished(firstUrl)).status).toBe('completed');
    await new Promise((r) => setTimeout(r, 2000)); // time enough for the second run, had it not been cancelled
    const cancelled = await finished(secondUrl);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.output).toBeUndefined();
    expect(await observationsOf(first)).toBe(1);
    expect(await observationsOf(second)).toBe(0);
    const runs = await botRuns(ctx.medplum, bot.id);
    expect(runs.map((run) => runDetail(run, 'trigger'))).toEqual([`AsyncJob/${asyncJobId(firstUrl)}`]);

    for (const ended of [firstUrl, secondUrl]) {
      const again = await statusOf(ended, 'DELETE');
      expect(again.status).toBe(400);
      expect(JSON.stringify(((await again.json()) as OperationOutcome).issue)).toMatch(/has already ended/);
    }
  });

  test("a clinician may neither read nor cancel a queued run's status; an unknown job is 404", async () => {
    const bot = await createTestBot(ctx.medplum, 'system/Observation.crs');
    await deployTestBot(ctx.medplum, bot.id, SLOW_OBSERVATION);
    const patient = await storedPatientId();
    const statusUrl = (await post(`Bot/${bot.id}/$execute`, patientInput(patient), ASYNC)).headers.get(
      'content-location'
    ) as string;
    const clinician = await issueUserToken(ctx.server, {
      accountId: `clinician-${crypto.randomUUID()}`,
      scope: 'user/*.cruds',
      role: 'clinician',
      fhirUser: 'Practitioner/some-clinician',
    });
    expect((await statusOf(statusUrl, 'GET', clinician)).status).toBe(403);
    expect((await statusOf(statusUrl, 'DELETE', clinician)).status).toBe(403);
    expect((await finished(statusUrl)).status).toBe('completed');
    const unknown = await statusOf(`${ctx.server.fhirBaseUrl}/job/${crypto.randomUUID()}/status`);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as OperationOutcome).resourceType).toBe('OperationOutcome');
    // Anything else under job/ is not found, and says where a status is (not "unknown resource type").
    for (const path of ['job', 'job/abc', 'job/abc/other', 'job/abc/status/more']) {
      const other = await ctx.api(path);
      expect(other.status).toBe(404);
      expect(((await other.json()) as OperationOutcome).issue?.[0]?.details?.text).toMatch(/job\/<id>\/status/);
    }
  });
});
