// Helpers for the bot runtime's tests: create and deploy test Bots, wait for their runs' AuditEvents.
import crypto from 'node:crypto';
import type { MedplumClient } from '@medplum/core';
import type { AuditEvent, Bot, Parameters } from '@medplum/fhirtypes';
import { OAUTH_CLIENT_SYSTEM } from '../audit/auditEvent.ts';
import { BOT_EXTENSIONS } from './botExtensions.ts';
import { botClientId } from './botIdentity.ts';

/** A code no alert Subscription listens for, so the Observations of these tests trigger nothing else. */
export const TEST_CODE = { system: 'http://rpm-platform.org/test/codes', code: 'bot-runtime-test' };

/** A Bot with these scopes (none: no extension) and a unique name. */
export async function createTestBot(
  medplum: MedplumClient,
  scopes: string,
  extra: Partial<Bot> = {}
): Promise<Bot & { id: string }> {
  return (await medplum.createResource<Bot>({
    resourceType: 'Bot',
    name: `test bot ${crypto.randomUUID().slice(0, 8)}`,
    ...(scopes ? { extension: [{ url: BOT_EXTENSIONS.scopes, valueString: scopes }] } : {}),
    ...extra,
  })) as Bot & { id: string };
}

/** POST Bot/{id}/$deploy; throws unless it answers 200. */
export async function deployTestBot(medplum: MedplumClient, botId: string, code: string): Promise<Bot> {
  const parameters: Parameters = { resourceType: 'Parameters', parameter: [{ name: 'code', valueString: code }] };
  return (await medplum.post(medplum.fhirUrl('Bot', botId, '$deploy'), parameters)) as Bot;
}

/** Polls `read` until `ok` holds or the time is up; returns the last value either way (the caller asserts). */
export async function waitFor<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() > deadline) {
      return value;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The AuditEvents of the bot's runs (not of requests about the Bot), oldest first. */
export async function botRuns(medplum: MedplumClient, botId: string): Promise<AuditEvent[]> {
  const events = await medplum.searchResources('AuditEvent', {
    entity: `Bot/${botId}`,
    'agent:identifier': `${OAUTH_CLIENT_SYSTEM}|${botClientId(botId)}`,
    _count: '100',
  });
  return [...events].sort((a, b) => Date.parse(a.recorded) - Date.parse(b.recorded));
}

/** One entity detail of a run's AuditEvent (trigger, attempt, durationMs, log, operation). */
export function runDetail(event: AuditEvent, type: string): string | undefined {
  const entity = event.entity?.find((e) => e.what?.reference?.startsWith('Bot/'));
  return entity?.detail?.find((d) => d.type === type)?.valueString;
}
