// The project's Bot extensions: what a bot may do through the FHIR API (its token's scopes), and how many triggers a run takes.
import type { Bot } from '@medplum/fhirtypes';

export const BOT_EXTENSIONS = {
  /** valueString: the SMART system scopes of the bot's token, e.g. "system/Observation.rs system/DetectedIssue.cru". */
  scopes: 'http://rpm-platform.org/fhir/StructureDefinition/rpm-bot-scopes',
  /**
   * valueInteger 2–100: the bot accepts a collection Bundle of up to this many triggering versions as one run's input
   * (server/src/bots/README.md, "Batched runs"). Absent: one version per run, as on any Medplum server.
   */
  batchSize: 'http://rpm-platform.org/fhir/StructureDefinition/rpm-bot-batch-size',
} as const;

/** The most triggering versions one run may take. */
export const MAX_BOT_BATCH = 100;

/** The bot's scopes; none when the extension is absent (such a bot can read and write nothing). */
export function botScopes(bot: Bot): string {
  return bot.extension?.find((e) => e.url === BOT_EXTENSIONS.scopes)?.valueString?.trim() ?? '';
}

/** How many triggering versions one run of this bot may take: 1 unless it declares batchSize (capped at 100). */
export function botBatchSize(bot: Bot): number {
  const value = bot.extension?.find((e) => e.url === BOT_EXTENSIONS.batchSize)?.valueInteger;
  return typeof value === 'number' && Number.isInteger(value) && value > 1 ? Math.min(value, MAX_BOT_BATCH) : 1;
}
