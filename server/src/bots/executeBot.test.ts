// Subscription-triggered bot runs on a real server: AuditEvent per attempt, retries with back-off, dead letters.
import crypto from 'node:crypto';
import type { Observation, Subscription } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import { SUBSCRIPTION_EXTENSIONS } from '../subscriptions/subscriptionExtensions.ts';
import { useTestServer } from '../testing/testServer.ts';
import { botRuns, createTestBot, deployTestBot, runDetail, TEST_CODE, waitFor } from './testBots.ts';

// Without the Subscription extension a run is tried once (the default is 10).
const ctx = useTestServer({ RPM_DELIVERY_MAX_ATTEMPTS: '1' });

/** A stored Patient's id: the server refuses readings about a patient that does not exist. */
async function storedPatientId(): Promise<string> {
  return (await ctx.medplum.createResource({ resourceType: 'Patient' })).id as string;
}

async function subscribeBot(botId: string, patient: string, maxAttempts?: number): Promise<Subscription> {
  return ctx.medplum.createResource<Subscription>({
    resourceType: 'Subscription',
    status: 'active',
    reason: 'bot runtime test',
    criteria: `Observation?subject=Patient/${patient}`,
    channel: { type: 'rest-hook', endpoint: `Bot/${botId}` },
    ...(maxAttempts ? { extension: [{ url: SUBSCRIPTION_EXTENSIONS.maxAttempts, valueInteger: maxAttempts }] } : {}),
  });
}

function reading(patient: string): Observation {
  return {
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [TEST_CODE] },
    subject: { reference: `Patient/${patient}` },
    valueString: 'a reading',
  };
}

/** The execute-bot jobs of a bot still in this server's queue (graphile-worker deletes a job once it succeeds). */
async function queuedJobs(botId: string): Promise<{ attempts: number; max_attempts: number; last_error: string }[]> {
  const schema = ctx.server.config.jobs.schema;
  const { rows } = await ctx.server.pool.query(
    `SELECT j.attempts, j.max_attempts, j.last_error
       FROM "${schema}"._private_jobs j JOIN "${schema}"._private_tasks t ON t.id = j.task_id
      WHERE t.identifier = 'execute-bot' AND j.payload->>'bot' = $1`,
    [`Bot/${botId}`]
  );
  return rows;
}

const THROWING = `export function handler(medplum, event) {
  console.log('looking at', event.input.id);
  throw new Error('cannot handle ' + event.input.id);
}`;

describe('bots triggered by a Subscription', () => {
  test('a failing bot is retried with back-off, audited per attempt, then dead-lettered; its Subscription stays active', async () => {
    const bot = await createTestBot(ctx.medplum, '');
    await deployTestBot(ctx.medplum, bot.id, THROWING);
    const patient = await storedPatientId();
    const subscription = await subscribeBot(bot.id, patient, 2);
    const observation = await ctx.medplum.createResource(reading(patient));
    const trigger = `Observation/${observation.id}/_history/${observation.meta?.versionId}`;

    const gaveUp = await waitFor(
      () => ctx.medplum.readResource('Subscription', subscription.id as string),
      (s) => s.error?.startsWith('Gave up') === true,
      20_000
    );
    expect(gaveUp.error).toBe(
      `Gave up running Bot/${bot.id} for ${trigger} after 2 attempts: cannot handle ${observation.id}`
    );
    expect(gaveUp.status).toBe('active');

    // Every attempt is an AuditEvent (written in batches: poll).
    const runs = await waitFor(
      () => botRuns(ctx.medplum, bot.id),
      (events) => events.length >= 2
    );
    expect(runs).toHaveLength(2);
    expect(runs.map((e) => e.outcome)).toEqual(['4', '4']);
    expect(runs.map((e) => e.outcomeDesc)).toEqual([
      `cannot handle ${observation.id}`,
      `cannot handle ${observation.id}`,
    ]);
    expect(runs.map((e) => runDetail(e, 'attempt'))).toEqual(['1 of 2', '2 of 2']);
    for (const run of runs) {
      expect(run.subtype?.map((c) => c.code)).toEqual(['operation']);
      expect(runDetail(run, 'operation')).toBe('execute');
      expect(runDetail(run, 'trigger')).toBe(trigger);
      expect(runDetail(run, 'log')).toBe(`looking at ${observation.id}`);
      expect(Number(runDetail(run, 'durationMs'))).toBeGreaterThanOrEqual(0);
      expect(run.entity?.some((e) => e.what?.reference === `Patient/${patient}`)).toBe(true);
      // The bot is the one agent: an application (its OAuth client), not a human user.
      expect(run.agent).toHaveLength(1);
      expect(run.agent?.[0]?.type?.coding?.[0]?.code).toBe('110150');
      expect(run.agent?.[0]?.who?.identifier?.value).toBe(`bot-${bot.id}`);
      expect(run.agent?.[0]?.requestor).toBe(true);
    }
    // graphile-worker's back-off before attempt 2 is e^1 s.
    expect(Date.parse(runs[1].recorded) - Date.parse(runs[0].recorded)).toBeGreaterThan(2_000);

    // The dead letter: the job stays in the queue's table with its error; no third attempt.
    const [job] = await waitFor(
      () => queuedJobs(bot.id),
      (rows) => rows[0]?.last_error?.includes('cannot handle') === true
    );
    expect(job).toMatchObject({ attempts: 2, max_attempts: 2 });
    expect(job.last_error).toContain(`cannot handle ${observation.id}`);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await botRuns(ctx.medplum, bot.id)).toHaveLength(2);

    // Still active: the next reading runs the bot again.
    const next = await ctx.medplum.createResource(reading(patient));
    const later = await waitFor(
      () => botRuns(ctx.medplum, bot.id),
      (events) => events.length >= 3
    );
    expect(runDetail(later[2], 'trigger')).toBe(`Observation/${next.id}/_history/${next.meta?.versionId}`);
    expect(runDetail(later[2], 'attempt')).toBe('1 of 2');
  }, 40_000);

  test('a bot that fails once and then succeeds ends with success and leaves no dead letter', async () => {
    const bot = await createTestBot(ctx.medplum, 'system/Observation.crs');
    // The first attempt writes a marker and fails; a later attempt finds the marker and succeeds.
    await deployTestBot(
      ctx.medplum,
      bot.id,
      `export async function handler(medplum, event) {
        const system = 'http://rpm-platform.org/test/attempt-marker';
        const markers = await medplum.searchResources('Observation', { identifier: system + '|' + event.input.id });
        if (markers.length === 0) {
          await medplum.createResource({
            resourceType: 'Observation',
            status: 'final',
            identifier: [{ system, value: event.input.id }],
            code: { coding: [${JSON.stringify(TEST_CODE)}] },
          });
          throw new Error('first attempt fails');
        }
        console.log('found marker', markers[0].id);
        return 'done';
      }`
    );
    const patient = await storedPatientId();
    const subscription = await subscribeBot(bot.id, patient, 3);
    const observation = await ctx.medplum.createResource(reading(patient));

    const runs = await waitFor(
      () => botRuns(ctx.medplum, bot.id),
      (events) => events.length >= 2,
      20_000
    );
    expect(runs.map((e) => e.outcome)).toEqual(['4', '0']);
    expect(runs.map((e) => runDetail(e, 'attempt'))).toEqual(['1 of 3', '2 of 3']);
    expect(runs[0].outcomeDesc).toBe('first attempt fails');
    expect(runs[1].outcomeDesc).toBeUndefined();
    expect(runDetail(runs[1], 'log')).toMatch(/^found marker /);
    const markers = await ctx.medplum.searchResources('Observation', {
      identifier: `http://rpm-platform.org/test/attempt-marker|${observation.id}`,
    });
    expect(markers).toHaveLength(1);

    // The failed attempt stays visible on the Subscription (it is not cleared by the success); no dead letter.
    const after = await ctx.medplum.readResource('Subscription', subscription.id as string);
    expect(after.status).toBe('active');
    expect(after.error).toMatch(
      new RegExp(`^Attempt 1 of 3 to run Bot/${bot.id} for Observation/.+: first attempt fails$`)
    );
    expect(await queuedJobs(bot.id)).toEqual([]);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await botRuns(ctx.medplum, bot.id)).toHaveLength(2);
  }, 30_000);

  test('without the max-attempts extension RPM_DELIVERY_MAX_ATTEMPTS applies; a succeeding run is audited once', async () => {
    const failing = await createTestBot(ctx.medplum, '');
    await deployTestBot(ctx.medplum, failing.id, THROWING);
    const succeeding = await createTestBot(ctx.medplum, '');
    await deployTestBot(ctx.medplum, succeeding.id, `export const handler = (medplum, event) => event.input.id;`);
    const patient = await storedPatientId();
    const failingSubscription = await subscribeBot(failing.id, patient);
    await subscribeBot(succeeding.id, patient);
    const observation = await ctx.medplum.createResource(reading(patient));

    const gaveUp = await waitFor(
      () => ctx.medplum.readResource('Subscription', failingSubscription.id as string),
      (s) => s.error !== undefined
    );
    expect(gaveUp.error).toMatch(
      new RegExp(`^Gave up running Bot/${failing.id} for .+ after 1 attempts: cannot handle`)
    );
    const [failed] = await waitFor(
      () => botRuns(ctx.medplum, failing.id),
      (events) => events.length >= 1
    );
    expect(runDetail(failed, 'attempt')).toBe('1 of 1');
    const ok = await waitFor(
      () => botRuns(ctx.medplum, succeeding.id),
      (events) => events.length >= 1
    );
    expect(ok).toHaveLength(1);
    expect(ok[0].outcome).toBe('0');
    expect(runDetail(ok[0], 'trigger')).toBe(`Observation/${observation.id}/_history/${observation.meta?.versionId}`);
  });

  test('a Subscription naming a Bot that does not exist runs nothing and records no error', async () => {
    const missing = crypto.randomUUID();
    const patient = await storedPatientId();
    const subscription = await subscribeBot(missing, patient, 2);
    // A real bot on the same readings: once it ran, the job for the missing one was queued too (one dispatch).
    const witness = await createTestBot(ctx.medplum, '');
    await deployTestBot(ctx.medplum, witness.id, `export const handler = () => 'ran';`);
    await subscribeBot(witness.id, patient);
    await ctx.medplum.createResource(reading(patient));
    expect(
      await waitFor(
        () => botRuns(ctx.medplum, witness.id),
        (events) => events.length > 0
      )
    ).toHaveLength(1);
    // The missing bot's job ran and was dropped (not failed, not retried): nothing is left in the queue for it.
    expect(
      await waitFor(
        () => queuedJobs(missing),
        (rows) => rows.length === 0
      )
    ).toEqual([]);
    expect(await ctx.medplum.searchResources('AuditEvent', { entity: `Bot/${missing}` })).toHaveLength(0);
    const after = await ctx.medplum.readResource('Subscription', subscription.id as string);
    expect(after.error).toBeUndefined();
    expect(after.status).toBe('active');
  });
});
