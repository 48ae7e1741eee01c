// Takes scheduled bots off their schedules, so that no cron run overlaps a measurement (they still run when called).
import type { Bot } from '@medplum/fhirtypes';
import type { FhirClient } from './fhirClient.ts';

/** The built-in bots that run on a schedule (server/src/bots/builtInBots.ts). */
export const SCHEDULED_BUILT_IN_BOTS = ['rpm-missed-readings', 'rpm-device-flags'] as const;

/** Removes the Bot's `cronString` (the server's scheduler reads Bots every minute, so the next tick passes it over). */
export async function stopBotSchedule(client: FhirClient, botId: string): Promise<void> {
  const read = await client.get(`/Bot/${botId}`);
  if (read.status !== 200) {
    throw new Error(`GET Bot/${botId} answered ${read.status}: ${read.text.slice(0, 300)}`);
  }
  const { cronString: _cron, ...bot } = read.json as Bot;
  const put = await fetch(`${client.fhirBaseUrl}/Bot/${botId}`, {
    method: 'PUT',
    headers: { authorization: await client.authorizationHeader(), 'content-type': 'application/fhir+json' },
    body: JSON.stringify(bot),
  });
  if (!put.ok) {
    throw new Error(`PUT Bot/${botId} answered ${put.status}: ${(await put.text()).slice(0, 300)}`);
  }
}
