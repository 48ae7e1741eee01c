// Bot operations: $deploy stores a bot's JavaScript, $execute runs it now with a given input (both Medplum-compatible).
import { allOk, badRequest, OperationOutcomeError } from '@medplum/core';
import type { FhirRequest, FhirRouter } from '@medplum/fhir-router';
import type { Bot, OperationOutcome, Parameters, Resource } from '@medplum/fhirtypes';
import type { PostgresRepository } from '../fhir/repository/postgresRepository.ts';
import { storeBotCode } from './botCode.ts';
import { runBot, type ExecuteBotOptions } from './executeBot.ts';

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

/** POST Bot/[id]/$execute with any resource as body: runs the bot now and returns what its handler returned. */
function execute(options: ExecuteBotOptions) {
  return async (req: FhirRequest, repo: Repo): Promise<[OperationOutcome, Resource?]> => {
    const bot = await repo.readResource<Bot>('Bot', req.params.id);
    repo.assertMay('Bot', 'update');
    const input = req.body as Resource | undefined;
    if (!input || typeof input !== 'object' || typeof input.resourceType !== 'string') {
      throw new OperationOutcomeError(badRequest('Expected a FHIR resource as the input'));
    }
    const result = await runBot(options, bot as Bot & { id: string }, input);
    if (!result.ok) {
      throw new OperationOutcomeError(badRequest(`The bot failed: ${result.error}`));
    }
    return [
      allOk,
      {
        resourceType: 'Parameters',
        parameter: [
          { name: 'result', valueString: JSON.stringify(result.returnValue ?? null) },
          ...result.logs.map((line) => ({ name: 'log', valueString: line })),
        ],
      },
    ];
  };
}

export function registerBotOperations(router: FhirRouter, options: ExecuteBotOptions): void {
  router.add('POST', 'Bot/:id/$deploy', deploy as never, 'operation');
  router.add('POST', 'Bot/:id/$execute', execute(options) as never, 'operation');
}
