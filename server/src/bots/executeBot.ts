// The execute-bot job: runs a Bot for a triggering version, a schedule or a queued $execute; audits, retries, dead-letters.
import { badRequest, type BotEvent } from '@medplum/core';
import type { AsyncJob, Bot, Parameters, Resource } from '@medplum/fhirtypes';
import type { AuditEntry } from '../audit/auditEvent.ts';
import type { AuditLog } from '../audit/auditLog.ts';
import type { Db } from '../db/pool.ts';
import { isUnfinished } from '../fhir/operations/asyncJobStatus.ts';
import type { PostgresRepository } from '../fhir/repository/postgresRepository.ts';
import type { JobHandler } from '../jobs/jobQueue.ts';
import type { ExecuteBotPayload } from '../subscriptions/writeTriggers.ts';
import { BatchedVersionReads } from '../subscriptions/batchedVersionReads.ts';
import type { ResourceChange } from '../subscriptions/loadVersions.ts';
import { recordDeliveryError } from '../subscriptions/subscriptionErrors.ts';
import { loadBotCode } from './botCode.ts';
import { botBatchSize } from './botExtensions.ts';
import { BotRunBatches } from './botRunBatches.ts';
import { botClientId, type BotIdentities } from './botIdentity.ts';
import type { BotRunResult, BotWorkerPool } from './botWorkerPool.ts';

export interface ExecuteBotOptions {
  pool: Db;
  systemRepo: PostgresRepository;
  identities: BotIdentities;
  workers: BotWorkerPool;
  audit: AuditLog;
  /** Where the bot's MedplumClient sends its requests (this instance's own address). */
  apiBaseUrl: string;
  /** Upper limit of a run; a Bot's `timeout` (seconds) may lower it. */
  maxTimeoutMs: number;
  /** Triggered runs of one batching bot in progress at once (more triggers wait and join the next run). */
  parallelRunsPerBot: number;
}

/** How long a job run reuses a Bot resource it read (a changed or deleted Bot applies within this time). */
const BOT_REUSE_MS = 2_000;

/** The Bot resources job runs read recently, by id: one read per Bot every two seconds rather than one per reading. */
class RecentBots {
  private readonly bots = new Map<string, { bot: Bot & { id: string }; readAt: number }>();

  async read(systemRepo: PostgresRepository, id: string): Promise<Bot & { id: string }> {
    const now = Date.now();
    const recent = this.bots.get(id);
    if (recent && now - recent.readAt < BOT_REUSE_MS) {
      return recent.bot;
    }
    const bot = (await systemRepo.readResource<Bot>('Bot', id)) as Bot & { id: string };
    this.bots.set(id, { bot, readAt: now });
    return bot;
  }
}

/**
 * What a run is given as input: the triggering version, a queued `$execute`'s body, or for a scheduled run a
 * Parameters with the time.
 */
async function inputOf(versions: BatchedVersionReads, payload: ExecuteBotPayload): Promise<Resource | undefined> {
  if (payload.input) {
    return payload.input;
  }
  if (!payload.change) {
    return { resourceType: 'Parameters', parameter: [{ name: 'scheduled', valueDateTime: new Date().toISOString() }] };
  }
  return versions.read(payload.change as ResourceChange);
}

/** What one trigger of a batched run tells the run's leader, for the run's AuditEvent. */
interface TriggerNote {
  trigger: string;
  attempt: string;
  patient?: string;
}

/**
 * The audit record of one run: the Bot (with the run's own details, duration and log lines) and, for a batched run,
 * each triggering version (with its attempt) and each of their patients.
 */
function runEntry(
  bot: Bot & { id: string },
  result: BotRunResult,
  details: Record<string, string>,
  patient: string | undefined,
  triggers: TriggerNote[] = []
): AuditEntry {
  return {
    action: 'operation',
    outcome: result.ok ? 'success' : 'failure',
    outcomeText: result.ok ? undefined : result.error,
    recorded: new Date(),
    // The bot's OAuth client only: an agent name would be recorded as a human user's (AuditEntry.agent.name).
    agent: { clientId: botClientId(bot.id) },
    entity: {
      reference: `Bot/${bot.id}`,
      detail: {
        operation: 'execute',
        ...details,
        durationMs: String(result.durationMs),
        ...(result.logs.length ? { log: result.logs.join('\n').slice(0, 4000) } : {}),
      },
    },
    patient,
    ...(triggers.length
      ? {
          subjects: triggers.map((t) => ({
            reference: t.trigger,
            detail: { attempt: t.attempt },
            patient: t.patient,
          })),
        }
      : {}),
  };
}

/** Runs one bot execution; exported for $execute and tests. Never throws for a failing bot: see result.ok. */
export async function runBot(
  options: ExecuteBotOptions,
  bot: Bot & { id: string },
  input: Resource
): Promise<BotRunResult> {
  const codeUrl = await loadBotCode(options.systemRepo, bot);
  if (!codeUrl) {
    return { ok: false, error: 'The bot has no deployed code (use Bot/$deploy)', logs: [], durationMs: 0 };
  }
  const timeoutMs = Math.min(options.maxTimeoutMs, bot.timeout ? bot.timeout * 1000 : Infinity);
  const event: BotEvent = {
    bot: { reference: `Bot/${bot.id}` },
    contentType: 'application/fhir+json',
    input,
    secrets: {},
  };
  const accessToken = await options.identities.tokenFor(bot);
  // A run cut short because another bot on its worker ran over time (or out of memory) is not this bot's failure:
  // it runs again at once rather than waiting out the queue's back-off.
  for (let attempt = 1; ; attempt++) {
    const result = await options.workers.run({ codeUrl, event, accessToken, baseUrl: options.apiBaseUrl, timeoutMs });
    if (result.ok || !result.interrupted || attempt >= 3) {
      return result;
    }
  }
}

/** The patient an input is about, for the audit trail. */
function patientOf(input: Resource): string | undefined {
  const subject = (input as { subject?: { reference?: string } }).subject?.reference;
  return subject?.startsWith('Patient/')
    ? subject
    : input.resourceType === 'Patient'
      ? `Patient/${input.id}`
      : undefined;
}

/**
 * At least once per trigger: a failed run throws so the queue retries it with back-off (bots must be idempotent,
 * as ours are); every failed attempt is written to the triggering Subscription's error, and after the last one the
 * job stays in the queue as a dead letter. Every run, good or bad, is one AuditEvent naming the bot, its trigger (a
 * batched run: every triggering version), outcome, duration and log lines.
 */
export function executeBotTask(options: ExecuteBotOptions): JobHandler {
  const recentBots = new RecentBots();
  const batches = new BotRunBatches<TriggerNote>(options.parallelRunsPerBot);
  const versions = new BatchedVersionReads(options.pool);
  return async (payload, context) => {
    const request = payload as ExecuteBotPayload;
    const botId = request.bot.replace(/^Bot\//, '');
    let bot: Bot & { id: string };
    try {
      bot = await recentBots.read(options.systemRepo, botId);
    } catch {
      return; // Deleted since it was triggered.
    }
    if (request.asyncJob && !(await unfinishedAsyncJob(options.systemRepo, request.asyncJob))) {
      return; // Cancelled (DELETE job/[id]/status) or deleted before the run started.
    }
    const input = await inputOf(versions, request);
    if (!input) {
      return;
    }
    const batchSize = botBatchSize(bot);
    const trigger = request.change
      ? `${request.change[0]}/${request.change[1]}/_history/${request.change[2]}`
      : request.asyncJob
        ? `AsyncJob/${request.asyncJob}`
        : 'schedule';
    const attempt = `${context.attempts} of ${context.maxAttempts}`;
    const patient = patientOf(input);
    const { result, batchOf, notes } =
      batchSize > 1 && request.change
        ? await batches.run(bot.id, batchSize, input, (one) => runBot(options, bot, one), { trigger, attempt, patient })
        : { result: await runBot(options, bot, input), batchOf: 1, notes: undefined };
    if (batchOf === 1) {
      // A triggering version is an entity too, so that AuditEvent?entity=<Type>/<id> finds the runs of a resource.
      const triggers = request.change ? [{ trigger, attempt, patient }] : [];
      options.audit.record(runEntry(bot, result, { trigger, attempt }, patient, triggers));
    } else if (notes) {
      // One execution, one AuditEvent: the run's leader records it with every trigger of the run.
      options.audit.record(runEntry(bot, result, { batch: `${batchOf} triggers run together` }, undefined, notes));
    }
    const deadLetter = context.attempts >= context.maxAttempts;
    if (request.asyncJob && (result.ok || deadLetter)) {
      await completeAsyncJob(options.systemRepo, request.asyncJob, result);
    }
    if (result.ok) {
      return;
    }
    if (request.subscription) {
      await recordDeliveryError(
        options.systemRepo,
        request.subscription.replace(/^Subscription\//, ''),
        deadLetter
          ? `Gave up running Bot/${bot.id} for ${trigger} after ${context.attempts} attempts: ${result.error}`
          : `Attempt ${context.attempts} of ${context.maxAttempts} to run Bot/${bot.id} for ${trigger} failed: ${result.error}`,
        // The Subscription stays active: one input the bot cannot handle must not stop it for every other
        // reading (an alert bot's Subscription going quiet would be the worst failure). The failed job stays in
        // the queue's table as the dead letter.
        false
      );
    }
    throw new Error(`Bot/${bot.id}: ${result.error}`);
  };
}

/** The AsyncJob of a queued run while it has not ended; undefined once cancelled, ended or deleted. */
async function unfinishedAsyncJob(systemRepo: PostgresRepository, id: string): Promise<AsyncJob | undefined> {
  try {
    const job = await systemRepo.readResource<AsyncJob>('AsyncJob', id);
    return isUnfinished(job) ? job : undefined;
  } catch {
    return undefined;
  }
}

/** What `$execute` answers for a finished run, now or in its AsyncJob: the handler's return value and its log. */
export function botRunOutput(result: BotRunResult): Parameters {
  return {
    resourceType: 'Parameters',
    parameter: [
      { name: 'result', valueString: JSON.stringify(result.returnValue ?? null) },
      ...result.logs.map((line) => ({ name: 'log', valueString: line })),
    ],
  };
}

/**
 * Ends a queued `$execute`'s AsyncJob: `completed` with the output `$execute` would have answered (`result`, `log`),
 * or after the last failed attempt `error` with an OperationOutcome (`outcome`). While attempts remain it stays
 * `accepted`. A deleted AsyncJob, or one cancelled while the bot ran, is left alone (the run's AuditEvent remains).
 */
async function completeAsyncJob(systemRepo: PostgresRepository, id: string, result: BotRunResult): Promise<void> {
  const job = await unfinishedAsyncJob(systemRepo, id);
  if (!job) {
    return;
  }
  const output: Parameters = result.ok
    ? botRunOutput(result)
    : {
        resourceType: 'Parameters',
        parameter: [{ name: 'outcome', resource: badRequest(`The bot failed: ${result.error}`) }],
      };
  await systemRepo.updateResource<AsyncJob>({
    ...job,
    status: result.ok ? 'completed' : 'error',
    transactionTime: new Date().toISOString(),
    output,
  });
}
