// Runs Bots that have a cron schedule (Bot.cronString, UTC): a once-a-minute job queues each one that is due.
import { parseCronItems, type TimestampDigest } from 'graphile-worker';
import type { Bot } from '@medplum/fhirtypes';
import type { PostgresRepository } from '../fhir/repository/postgresRepository.ts';
import type { JobHandler, JobQueue } from '../jobs/jobQueue.ts';
import { EXECUTE_BOT_TASK, type ExecuteBotPayload } from '../subscriptions/writeTriggers.ts';

export const SCHEDULED_BOTS_TASK = 'run-scheduled-bots';

function digest(date: Date): TimestampDigest {
  return {
    min: date.getUTCMinutes(),
    hour: date.getUTCHours(),
    date: date.getUTCDate(),
    month: date.getUTCMonth() + 1,
    dow: date.getUTCDay(),
  };
}

/** True when a five-field cron pattern (graphile-worker's syntax) matches the minute of `at`; false if invalid. */
export function cronMatches(pattern: string, at: Date): boolean {
  try {
    const [item] = parseCronItems([{ task: 'bot', match: pattern, identifier: 'bot' }]);
    return item.match(digest(at));
  } catch {
    return false;
  }
}

/**
 * The job queue's cron runs this once a minute on one instance; each due Bot gets an execute-bot job keyed by bot and
 * minute, so a repeat of the same minute adds nothing. Scheduled runs get a Parameters input with the time.
 */
export function scheduledBotsTask(systemRepo: PostgresRepository, queue: JobQueue, maxAttempts: number): JobHandler {
  return async (payload) => {
    const at = new Date(((payload as { _cron?: { ts?: string } })._cron?.ts as string | undefined) ?? Date.now());
    const bots = await systemRepo.searchResources<Bot>({ resourceType: 'Bot', count: 1000 });
    const due = bots.filter((bot) => bot.cronString && cronMatches(bot.cronString, at));
    const minute = at.toISOString().slice(0, 16);
    await queue.add(
      due.map((bot) => ({
        task: EXECUTE_BOT_TASK,
        payload: { bot: `Bot/${bot.id}` } satisfies ExecuteBotPayload,
        key: `cron:${bot.id}:${minute}`,
        maxAttempts,
      }))
    );
  };
}
