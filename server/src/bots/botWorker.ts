// Worker-thread entry point: runs deployed bot code with a MedplumClient holding the bot's own token, one message a run.
import { AsyncLocalStorage } from 'node:async_hooks';
import { format } from 'node:util';
import { parentPort } from 'node:worker_threads';
import { MedplumClient, type BotEvent } from '@medplum/core';

/** What the pool sends for one execution. */
export interface BotRunMessage {
  type: 'run';
  runId: number;
  /** A file:// URL of the bot's ES module (it exports `handler`). */
  codeUrl: string;
  event: BotEvent;
  accessToken: string;
  baseUrl: string;
}

export interface BotResultMessage {
  type: 'result';
  runId: number;
  ok: boolean;
  returnValue?: unknown;
  error?: string;
  logs: string[];
}

type BotModule = { handler?: (medplum: MedplumClient, event: BotEvent) => unknown };

const modules = new Map<string, Promise<BotModule>>();
const loadAttempts = new Map<string, number>();
const logsOfRun = new AsyncLocalStorage<string[]>();
const MAX_LOG_LINES = 200;

// console output goes to the run it came from (runs overlap), kept with the run's AuditEvent.
for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
  console[method] = (...args: unknown[]) => {
    const logs = logsOfRun.getStore();
    if (logs && logs.length < MAX_LOG_LINES) {
      logs.push(format(...args).slice(0, 2000));
    }
  };
}

async function run(message: BotRunMessage): Promise<BotResultMessage> {
  const logs: string[] = [];
  return logsOfRun.run(logs, async () => {
    try {
      let loading = modules.get(message.codeUrl);
      if (!loading) {
        // Node caches a module by URL, a broken load too: a retry imports under a new query string.
        const attempt = (loadAttempts.get(message.codeUrl) ?? 0) + 1;
        loadAttempts.set(message.codeUrl, attempt);
        loading = import(attempt === 1 ? message.codeUrl : `${message.codeUrl}?load=${attempt}`) as Promise<BotModule>;
        modules.set(message.codeUrl, loading);
      }
      const bot = await loading.catch((err: unknown) => {
        modules.delete(message.codeUrl); // A failed load is tried again by the next run.
        throw err;
      });
      if (typeof bot.handler !== 'function') {
        modules.delete(message.codeUrl);
        throw new Error('The bot code does not export a handler function');
      }
      const medplum = new MedplumClient({ baseUrl: message.baseUrl, fetch, cacheTime: 0, autoBatchTime: 0 });
      medplum.setAccessToken(message.accessToken);
      const returnValue = await bot.handler(medplum, message.event);
      return { type: 'result', runId: message.runId, ok: true, returnValue: toJson(returnValue), logs };
    } catch (err) {
      const error = err instanceof Error ? err.message : format(err);
      return { type: 'result', runId: message.runId, ok: false, error: error.slice(0, 2000), logs };
    }
  });
}

function toJson(value: unknown): unknown {
  try {
    return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
  } catch {
    return String(value);
  }
}

parentPort?.on('message', (message: BotRunMessage) => {
  void run(message).then((result) => parentPort?.postMessage(result));
});
