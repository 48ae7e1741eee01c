// Bot operations: $deploy stores a bot's JavaScript, $execute runs it now or queues it (both Medplum-compatible).
import { accepted, allOk, badRequest, OperationOutcomeError } from '@medplum/core';
import type { FhirRequest, FhirRouter } from '@medplum/fhir-router';
import type { AsyncJob, Bot, OperationOutcome, Parameters, Resource } from '@medplum/fhirtypes';
import { asyncJobStatusUrl } from '../fhir/operations/asyncJobStatus.ts';
import type { PostgresRepository } from '../fhir/repository/postgresRepository.ts';
import type { JobQueue } from '../jobs/jobQueue.ts';
import type { ExecuteBotPayload } from '../subscriptions/writeTriggers.ts';
import { storeBotCode } from './botCode.ts';
import { botClientId } from './botIdentity.ts';
import { botRunOutput, runBot, type ExecuteBotOptions } from './executeBot.ts';

type Repo = PostgresRepository;

function stringParameter(body: unknown, name: string): string | undefined {
  const parameters = body as Parameters | undefined;
  if (parameters?.resourceType !== 'Parameters') {
    return undefined;
  }
  return parameters.parameter?.find((p) => p.name === name)?.valueString;
}

/**
 * POST Bot/[id]/$deploy with Parameters `code` (an ES module exporting `handler`, e.g. an esbuild bundle): stores it
 * as a Binary and points Bot.executableCode at it. Only callers who may update the Bot (admins, system clients).
 */
async function deploy(req: FhirRequest, repo: Repo): Promise<[OperationOutcome, Resource?]> {
  const code = stringParameter(req.body, 'code');
  if (!code) {
    throw new OperationOutcomeError(badRequest('Expected Parameters with a string parameter "code"'));
  }
  const bot = await repo.readResource<Bot>('Bot', req.params.id);
  repo.assertMay('Bot', 'update');
  repo.assertMay('Binary', 'create');
  const deployed = await repo.withTransaction(async (tx) =>
    tx.updateResource(await storeBotCode(tx, bot, code), { ifMatch: bot.meta?.versionId })
  );
  return [allOk, deployed];
}

/** Options of the operations: a run's options, and the queue that takes the runs asked for with respond-async. */
export interface BotOperationOptions extends ExecuteBotOptions {
  queue: JobQueue;
  /** Attempts of a queued run (RPM_DELIVERY_MAX_ATTEMPTS), as for scheduled runs. */
  maxAttempts: number;
}

/** True when the request asks for FHIR's asynchronous request pattern (`Prefer: respond-async`). */
function wantsAsync(req: FhirRequest): boolean {
  return /(?:^|[\s,;])respond-async(?:$|[\s,;])/i.test(String(req.headers?.prefer ?? ''));
}

/**
 * POST Bot/[id]/$execute with any resource as body: runs the bot now and returns what its handler returned; with
 * `Prefer: respond-async`, queues the run instead (queueRun). Callers who may update the Bot; besides, a bot may
 * queue runs of itself (so a scheduled bot can split its work into runs that each fit its time limit) and nothing
 * else: its token names it (`bot-<id>`) and the server alone mints such tokens.
 */
function execute(options: BotOperationOptions) {
  return async (req: FhirRequest, repo: Repo): Promise<[OperationOutcome, Resource?]> => {
    const queued = wantsAsync(req);
    const itself = queued && repo.context.caller?.clientId === botClientId(req.params.id);
    const bot = await (itself ? repo.asServer() : repo).readResource<Bot>('Bot', req.params.id);
    if (!itself) {
      repo.assertMay('Bot', 'update');
    }
    const input = req.body as Resource | undefined;
    if (!input || typeof input !== 'object' || typeof input.resourceType !== 'string') {
      throw new OperationOutcomeError(badRequest('Expected a FHIR resource as the input'));
    }
    if (queued) {
      return queueRun(options, repo, bot as Bot & { id: string }, input);
    }
    const result = await runBot(options, bot as Bot & { id: string }, input);
    if (!result.ok) {
      throw new OperationOutcomeError(badRequest(`The bot failed: ${result.error}`));
    }
    return [allOk, botRunOutput(result)];
  };
}

/**
 * The job of a run queued by `$execute` with `Prefer: respond-async`: run by the execute-bot handler, but a task of
 * its own, so that queued runs waiting their turn do not count as alerts running late (jobs/alertBacklog.ts).
 */
export const QUEUED_BOT_TASK = 'run-queued-bot';

/**
 * The asynchronous request pattern: an AsyncJob (status `accepted`) and the job that runs the bot with this input
 * are written in one transaction, and the answer is 202 with the AsyncJob's status URL (`job/[id]/status`, as Medplum
 * answers) in Content-Location. The job retries and audits like a scheduled run, and completes the AsyncJob
 * (executeBot.ts); a run cancelled before it starts (DELETE on the status URL) is skipped. A Bot's queued runs run one at a
 * time, in the order queued (a named queue per Bot): a bot that splits its work into many runs never competes with
 * itself for the server, and each run keeps to its time limit.
 */
async function queueRun(
  options: BotOperationOptions,
  repo: Repo,
  bot: Bot & { id: string },
  input: Resource
): Promise<[OperationOutcome]> {
  const base = repo.context.fhirBaseUrl;
  const job = await repo.asServer().withTransaction(async (tx) => {
    const created = await tx.createResource<AsyncJob>({
      resourceType: 'AsyncJob',
      status: 'accepted',
      requestTime: new Date().toISOString(),
      request: `${base}/Bot/${bot.id}/$execute`,
    });
    await tx.addJobs(options.queue, [
      {
        task: QUEUED_BOT_TASK,
        payload: { bot: `Bot/${bot.id}`, input, asyncJob: created.id } satisfies ExecuteBotPayload,
        maxAttempts: options.maxAttempts,
        queueName: `queued-runs:Bot/${bot.id}`,
      },
    ]);
    return created;
  });
  return [accepted(asyncJobStatusUrl(base, job.id))];
}

export function registerBotOperations(router: FhirRouter, options: BotOperationOptions): void {
  router.add('POST', 'Bot/:id/$deploy', deploy as never, 'operation');
  router.add('POST', 'Bot/:id/$execute', execute(options) as never, 'operation');
}
