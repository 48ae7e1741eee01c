// Bot/$deploy and Bot/$execute on a real server: stored code, runs under the bot's own token and scopes, refusals.
import crypto from 'node:crypto';
import type { AuditEvent, Bot, OperationOutcome, Parameters } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import { OAUTH_CLIENT_SYSTEM } from '../audit/auditEvent.ts';
import { fhirFetch, useTestServer } from '../testing/testServer.ts';
import { issueUserToken } from '../testing/userTokens.ts';
import { BOT_EXTENSIONS } from './botExtensions.ts';
import { MAX_BOT_CODE_BYTES } from './botCode.ts';
import { createTestBot, TEST_CODE, waitFor } from './testBots.ts';

const ctx = useTestServer();

/** A stored Patient's id: the server refuses readings about a patient that does not exist. */
async function storedPatientId(): Promise<string> {
  return (await ctx.medplum.createResource({ resourceType: 'Patient' })).id as string;
}

const createBot = (scopes: string, extra: Partial<Bot> = {}) => createTestBot(ctx.medplum, scopes, extra);

const codeParameters = (code: string): Parameters => ({
  resourceType: 'Parameters',
  parameter: [{ name: 'code', valueString: code }],
});

function post(path: string, body: unknown, token?: string): Promise<Response> {
  const api = token ? fhirFetch(ctx.server, token) : ctx.api;
  return api(path, { method: 'POST', body: JSON.stringify(body) });
}

async function deploy(botId: string, code: string): Promise<Bot> {
  const response = await post(`Bot/${botId}/$deploy`, codeParameters(code));
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as Bot;
}

/** $execute's answer: the handler's return value (parsed) and the run's log lines. */
async function execute(botId: string, input: unknown): Promise<{ result: unknown; logs: string[] }> {
  const response = await post(`Bot/${botId}/$execute`, input);
  expect(response.status, await response.clone().text()).toBe(200);
  const parameters = (await response.json()) as Parameters;
  expect(parameters.resourceType).toBe('Parameters');
  const result = parameters.parameter?.find((p) => p.name === 'result')?.valueString;
  return {
    result: JSON.parse(result as string),
    logs: (parameters.parameter ?? []).filter((p) => p.name === 'log').map((p) => p.valueString as string),
  };
}

async function expectOutcome(response: Response, status: number, diagnostics: RegExp): Promise<void> {
  const body = (await response.json()) as OperationOutcome;
  expect(response.status, JSON.stringify(body)).toBe(status);
  expect(body.resourceType).toBe('OperationOutcome');
  expect(JSON.stringify(body.issue)).toMatch(diagnostics);
}

const patientInput = (id: string) => ({ resourceType: 'Patient', id });

/** Creates an Observation about the input Patient and returns its id. */
const CREATE_OBSERVATION = `export async function handler(medplum, event) {
  console.log('creating for', event.input.id);
  const observation = await medplum.createResource({
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [${JSON.stringify(TEST_CODE)}] },
    subject: { reference: 'Patient/' + event.input.id },
    valueString: 'from a bot',
  });
  return { id: observation.id };
}`;

/** Tries to raise a DetectedIssue about the input Patient. */
const CREATE_DETECTED_ISSUE = `export async function handler(medplum, event) {
  const issue = await medplum.createResource({
    resourceType: 'DetectedIssue',
    status: 'preliminary',
    patient: { reference: 'Patient/' + event.input.id },
    detail: 'raised by a test bot',
  });
  return issue.id;
}`;

describe('Bot/$deploy', () => {
  test('stores the code as a Binary and points Bot.executableCode at it', async () => {
    const bot = await createBot('system/Observation.rs');
    const deployed = await deploy(bot.id, CREATE_OBSERVATION);
    expect(deployed.id).toBe(bot.id);
    expect(deployed.meta?.versionId).not.toBe(bot.meta?.versionId);
    const code = deployed.executableCode;
    expect(code?.contentType).toBe('text/javascript');
    expect(code?.url).toMatch(/^Binary\/[^/]+$/);
    expect(code?.size).toBe(Buffer.byteLength(CREATE_OBSERVATION));
    expect(code?.hash).toBe(crypto.createHash('sha256').update(CREATE_OBSERVATION).digest('base64'));
    // The scopes extension and the rest of the Bot are kept.
    expect(deployed.extension).toEqual(bot.extension);
    expect(deployed.name).toBe(bot.name);
    const binary = await ctx.medplum.readResource('Binary', (code?.url as string).slice('Binary/'.length));
    expect(Buffer.from(binary.data as string, 'base64').toString('utf8')).toBe(CREATE_OBSERVATION);
    expect((await ctx.medplum.readResource('Bot', bot.id)).executableCode).toEqual(code);
  });

  test('bad input is a 400 OperationOutcome and leaves the Bot unchanged', async () => {
    const bot = await createBot('system/Observation.rs');
    await expectOutcome(await post(`Bot/${bot.id}/$deploy`, { resourceType: 'Parameters' }), 400, /"code"/);
    await expectOutcome(
      await post(`Bot/${bot.id}/$deploy`, {
        resourceType: 'Parameters',
        parameter: [{ name: 'code', valueInteger: 1 }],
      }),
      400,
      /"code"/
    );
    await expectOutcome(
      await post(`Bot/${bot.id}/$deploy`, codeParameters('module.exports.handler = async () => 1;')),
      400,
      /ES module that exports a function named handler/
    );
    await expectOutcome(
      await post(`Bot/${bot.id}/$deploy`, codeParameters('export const notTheEntryPoint = 1;')),
      400,
      /ES module that exports a function named handler/
    );
    const oversize = `export async function handler() {}\n//${'x'.repeat(MAX_BOT_CODE_BYTES)}`;
    await expectOutcome(
      await post(`Bot/${bot.id}/$deploy`, codeParameters(oversize)),
      400,
      new RegExp(`1 byte to ${MAX_BOT_CODE_BYTES} bytes`)
    );
    const after = await ctx.medplum.readResource('Bot', bot.id);
    expect(after.meta?.versionId).toBe(bot.meta?.versionId);
    expect(after.executableCode).toBeUndefined();
  });

  test('a redeploy replaces the code the next run uses', async () => {
    const bot = await createBot('');
    await deploy(bot.id, `export const handler = () => 'first version';`);
    expect((await execute(bot.id, patientInput('p'))).result).toBe('first version');
    await deploy(bot.id, `export const handler = () => 'second version';`);
    expect((await execute(bot.id, patientInput('p'))).result).toBe('second version');
  });
});

describe('Bot/$execute', () => {
  test("runs the handler with the body as input and answers its return value and logs; the bot's requests use its own client", async () => {
    const bot = await createBot('system/Observation.crs');
    await deploy(bot.id, CREATE_OBSERVATION);
    const patient = await storedPatientId();
    const { result, logs } = await execute(bot.id, patientInput(patient));
    const id = (result as { id: string }).id;
    expect(id).toEqual(expect.any(String));
    expect(logs).toEqual([`creating for ${patient}`]);
    const observation = await ctx.medplum.readResource('Observation', id);
    expect(observation.subject?.reference).toBe(`Patient/${patient}`);
    expect(observation.valueString).toBe('from a bot');
    // The create went through the FHIR API as the OAuth client bot-<id>, and was audited as such.
    const audits = await waitFor(
      () =>
        ctx.medplum.searchResources('AuditEvent', {
          'agent:identifier': `${OAUTH_CLIENT_SYSTEM}|bot-${bot.id}`,
          entity: `Observation/${id}`,
        }),
      (events) => events.length > 0
    );
    expect(audits).toHaveLength(1);
    expect(audits[0].outcome).toBe('0');
    expect(audits[0].subtype?.map((c) => c.code)).toContain('create');
  });

  test("a request outside the bot's scopes is refused (403 inside): $execute answers 400 'The bot failed'", async () => {
    const bot = await createBot('system/Observation.rs');
    await deploy(bot.id, CREATE_DETECTED_ISSUE);
    const patient = await storedPatientId();
    await expectOutcome(
      await post(`Bot/${bot.id}/$execute`, patientInput(patient)),
      400,
      /The bot failed: The access token's scopes do not allow create on DetectedIssue/
    );
    expect(await ctx.medplum.searchResources('DetectedIssue', { patient: `Patient/${patient}` })).toHaveLength(0);
    // The bot's token was minted with its scopes, and the refusal happened in the server's access control: both are
    // in the audit trail as the bot's client.
    const events = await waitFor(
      () =>
        ctx.medplum.searchResources('AuditEvent', {
          'agent:identifier': `${OAUTH_CLIENT_SYSTEM}|bot-${bot.id}`,
        }) as Promise<AuditEvent[]>,
      (found) => found.length >= 2
    );
    const token = events.find((e) => e.subtype?.some((c) => c.code === 'ITI-71'));
    expect(token?.outcome).toBe('0');
    expect(token?.entity?.[0]?.detail).toEqual([{ type: 'scope', valueString: 'system/Observation.rs' }]);
    const refused = events.filter((e) => e.subtype?.some((c) => c.code === 'create'));
    expect(refused).toHaveLength(1);
    expect(refused[0].outcome).toBe('4');
    expect(refused[0].outcomeDesc).toBe('HTTP 403');
    expect(refused[0].entity?.[0]?.type?.code).toBe('DetectedIssue');

    // Granting the scope takes effect on the next run.
    await ctx.medplum.updateResource<Bot>({
      ...(await ctx.medplum.readResource('Bot', bot.id)),
      extension: [{ url: BOT_EXTENSIONS.scopes, valueString: 'system/Observation.rs system/DetectedIssue.c' }],
    });
    const { result } = await execute(bot.id, patientInput(patient));
    const issue = await ctx.medplum.readResource('DetectedIssue', result as string);
    expect(issue.patient?.reference).toBe(`Patient/${patient}`);
  });

  test('a bot without scopes can read nothing', async () => {
    const bot = await createBot('');
    await deploy(
      bot.id,
      `export async function handler(medplum) { await medplum.searchResources('Observation', '_count=1'); return 'read'; }`
    );
    await expectOutcome(
      await post(`Bot/${bot.id}/$execute`, patientInput('p')),
      400,
      /The bot failed: The access token's scopes do not allow search on Observation/
    );
  });

  test('a failing, looping or undeployed bot is a 400 with the reason; bad input is a 400', async () => {
    const throwing = await createBot('');
    await deploy(throwing.id, `export function handler() { throw new Error('no thresholds for this patient'); }`);
    await expectOutcome(
      await post(`Bot/${throwing.id}/$execute`, patientInput('p')),
      400,
      /The bot failed: no thresholds for this patient/
    );
    // A Bot's own timeout (seconds) bounds its runs.
    const looping = await createBot('', { timeout: 1 });
    await deploy(looping.id, `export function handler() { while (true) {} }`);
    const started = Date.now();
    await expectOutcome(
      await post(`Bot/${looping.id}/$execute`, patientInput('p')),
      400,
      /The bot failed: Timed out after 1000 ms/
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    // Code that passes $deploy's check but has no handler fails when run.
    const noHandler = await createBot('');
    await deploy(noHandler.id, `// the handler is missing\nexport const other = 1;`);
    await expectOutcome(
      await post(`Bot/${noHandler.id}/$execute`, patientInput('p')),
      400,
      /The bot failed: The bot code does not export a handler function/
    );
    const undeployed = await createBot('');
    await expectOutcome(
      await post(`Bot/${undeployed.id}/$execute`, patientInput('p')),
      400,
      /The bot failed: The bot has no deployed code/
    );
    await expectOutcome(await post(`Bot/${throwing.id}/$execute`, { not: 'a resource' }), 400, /FHIR resource/);
    // The runtime still works after all that.
    await deploy(noHandler.id, `export const handler = (medplum, event) => event.input.id;`);
    expect((await execute(noHandler.id, patientInput('after'))).result).toBe('after');
  });
});

describe('who may deploy and execute', () => {
  test('a clinician token gets 403 on $deploy and $execute, and the Bot is unchanged', async () => {
    const bot = await createBot('system/Observation.crs');
    const deployed = await deploy(bot.id, CREATE_OBSERVATION);
    const clinician = await issueUserToken(ctx.server, {
      accountId: `clinician-${crypto.randomUUID()}`,
      scope: 'user/*.cruds',
      role: 'clinician',
      fhirUser: 'Practitioner/some-clinician',
    });
    await expectOutcome(
      await post(`Bot/${bot.id}/$deploy`, codeParameters(`export const handler = () => 'hijacked';`), clinician),
      403,
      /A clinician account may not read Bot resources/
    );
    const patient = await storedPatientId();
    await expectOutcome(
      await post(`Bot/${bot.id}/$execute`, patientInput(patient), clinician),
      403,
      /A clinician account may not read Bot resources/
    );
    const after = await ctx.medplum.readResource('Bot', bot.id);
    expect(after.meta?.versionId).toBe(deployed.meta?.versionId);
    expect(after.executableCode).toEqual(deployed.executableCode);
    expect(await ctx.medplum.searchResources('Observation', { subject: `Patient/${patient}` })).toHaveLength(0);
  });

  test('an unknown bot is a 404', async () => {
    const missing = crypto.randomUUID();
    await expectOutcome(
      await post(`Bot/${missing}/$deploy`, codeParameters(`export const handler = () => 1;`)),
      404,
      /Not found/
    );
    await expectOutcome(await post(`Bot/${missing}/$execute`, patientInput('p')), 404, /Not found/);
  });
});
