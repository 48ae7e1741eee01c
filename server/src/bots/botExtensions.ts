// The project's Bot extensions: what a bot may do through the FHIR API (its token's scopes).
import type { Bot } from '@medplum/fhirtypes';

export const BOT_EXTENSIONS = {
  /** valueString: the SMART system scopes of the bot's token, e.g. "system/Observation.rs system/DetectedIssue.cru". */
  scopes: 'http://rpm-platform.org/fhir/StructureDefinition/rpm-bot-scopes',
} as const;

/** The bot's scopes; none when the extension is absent (such a bot can read and write nothing). */
export function botScopes(bot: Bot): string {
  return bot.extension?.find((e) => e.url === BOT_EXTENSIONS.scopes)?.valueString?.trim() ?? '';
}
