// The bot runtime as a background module: triggered, scheduled and queued bot runs, $deploy/$execute, built-in bots.
import type Provider from 'oidc-provider';
import type { BackgroundDeps, BackgroundModule } from '../background.ts';
import { EXECUTE_BOT_TASK } from '../subscriptions/writeTriggers.ts';
import { BotIdentities } from './botIdentity.ts';
import { QUEUED_BOT_TASK, registerBotOperations } from './botOperations.ts';
import { BotWorkerPool } from './botWorkerPool.ts';
import { executeBotTask, type ExecuteBotOptions } from './executeBot.ts';
import { SCHEDULED_BOTS_TASK, scheduledBotsTask } from './scheduledBots.ts';

export { deployBuiltInBots, BUILT_IN_BOTS, bundleBot } from './builtInBots.ts';
export { BOT_EXTENSIONS } from './botExtensions.ts';

/**
 * Starts the worker threads and registers the bot operations on the router. `apiBaseUrl` is where bots send their
 * FHIR requests: this instance's own listener, so a bot's requests pass through authentication and access control.
 */
export function botModule(deps: BackgroundDeps, provider: Provider, apiBaseUrl: string): BackgroundModule {
  const workers = new BotWorkerPool({ workers: deps.config.jobs.botWorkers, memoryMb: deps.config.jobs.botMemoryMb });
  const options: ExecuteBotOptions = {
    pool: deps.pool,
    systemRepo: deps.systemRepo,
    identities: new BotIdentities(deps.pool, provider, deps.fhirBaseUrl),
    workers,
    audit: deps.audit,
    apiBaseUrl,
    maxTimeoutMs: deps.config.jobs.botTimeoutMs,
    // One run of a batching bot per worker thread; triggers arriving meanwhile form the next run.
    parallelRunsPerBot: deps.config.jobs.botWorkers,
  };
  registerBotOperations(deps.router, {
    ...options,
    queue: deps.queue,
    maxAttempts: deps.config.jobs.deliveryMaxAttempts,
  });
  return {
    tasks: {
      [EXECUTE_BOT_TASK]: executeBotTask(options),
      [QUEUED_BOT_TASK]: executeBotTask(options),
      [SCHEDULED_BOTS_TASK]: scheduledBotsTask(deps.systemRepo, deps.queue, deps.config.jobs.deliveryMaxAttempts),
    },
    recurring: [{ task: SCHEDULED_BOTS_TASK, pattern: '* * * * *', identifier: SCHEDULED_BOTS_TASK }],
    close: () => workers.close(),
  };
}
