// The work that runs outside requests on every instance: the job queue's tasks, recurring jobs and change consumers.
import type { FhirRouter } from '@medplum/fhir-router';
import type { Redis } from 'ioredis';
import type { BatchedAuditLog } from './audit/auditLog.ts';
import type { ServerConfig } from './config.ts';
import type { Db } from './db/pool.ts';
import type { PostgresRepository } from './fhir/repository/postgresRepository.ts';
import type { JobHandler, JobQueue, RecurringJob } from './jobs/jobQueue.ts';
import type { ChangeConsumer } from './subscriptions/committedChange.ts';
import { REST_HOOK_TASK, restHookTask } from './subscriptions/restHook.ts';
import type { WebSocketNotifier, WriteTriggers } from './subscriptions/writeTriggers.ts';

/** What a background module may use. */
export interface BackgroundDeps {
  config: ServerConfig;
  pool: Db;
  redis?: Redis;
  queue: JobQueue;
  /** Decides, in each writing transaction, the work the write triggers (attached to the pool). */
  writeTriggers: WriteTriggers;
  /** e.g. http://localhost:8103/fhir/R4 */
  fhirBaseUrl: string;
  /** Reads and writes as the server itself (no caller: full access). */
  systemRepo: PostgresRepository;
  audit: BatchedAuditLog;
  router: FhirRouter;
}

/** One module's share of the background work. */
export interface BackgroundModule {
  tasks?: Record<string, JobHandler>;
  recurring?: RecurringJob[];
  onChange?: ChangeConsumer;
  close?: () => Promise<void>;
}

/** Merges modules' tasks (names must be unique), recurring jobs and change consumers. */
export function combineModules(modules: BackgroundModule[]): Required<Omit<BackgroundModule, 'onChange' | 'close'>> & {
  consumers: ChangeConsumer[];
  close: () => Promise<void>;
} {
  const tasks: Record<string, JobHandler> = {};
  for (const m of modules) {
    for (const [name, handler] of Object.entries(m.tasks ?? {})) {
      if (tasks[name]) {
        throw new Error(`Two modules define the job task ${name}`);
      }
      tasks[name] = handler;
    }
  }
  return {
    tasks,
    recurring: modules.flatMap((m) => m.recurring ?? []),
    consumers: modules.flatMap((m) => (m.onChange ? [m.onChange] : [])),
    close: async () => {
      for (const m of modules) {
        await m.close?.();
      }
    },
  };
}

/** Everything background work needs from the server, plus the modules that make it up. */
export interface BackgroundWork {
  stop(): Promise<void>;
}

/**
 * Starts the job runner on this instance (unless RPM_RUN_JOBS=false) with the tasks of every module, and gives the
 * write triggers the modules' change consumers and the websocket channel.
 */
export async function startBackgroundWork(
  deps: BackgroundDeps,
  modules: BackgroundModule[],
  webSockets: WebSocketNotifier | undefined
): Promise<BackgroundWork> {
  const combined = combineModules(modules);
  deps.writeTriggers.setConsumers(combined.consumers);
  deps.writeTriggers.setWebSockets(webSockets);
  const tasks = {
    ...combined.tasks,
    [REST_HOOK_TASK]: restHookTask({ pool: deps.pool, systemRepo: deps.systemRepo }),
  };
  if (deps.config.jobs.run) {
    await deps.queue.start(tasks, combined.recurring);
  }
  return {
    async stop() {
      await deps.queue.stop();
      await combined.close();
    },
  };
}
