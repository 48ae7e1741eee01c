// The rest-hook channel: POSTs a notification to the Subscription's endpoint, signed, retried, dead-lettered.
import crypto from 'node:crypto';
import type { Subscription } from '@medplum/fhirtypes';
import type { Db } from '../db/pool.ts';
import type { JobHandler } from '../jobs/jobQueue.ts';
import type { PostgresRepository } from '../fhir/repository/postgresRepository.ts';
import { loadVersions } from './loadVersions.ts';
import type { ResourceChange } from './loadVersions.ts';
import { recordDeliveryError } from './subscriptionErrors.ts';
import { secretOf } from './subscriptionExtensions.ts';

export const REST_HOOK_TASK = 'deliver-rest-hook';

export interface RestHookPayload {
  subscription: string;
  change: [string, string, string, string];
}

export interface RestHookOptions {
  pool: Db;
  systemRepo: PostgresRepository;
  /** Per-request timeout. */
  timeoutMs?: number;
}

/** The HTTP request for one notification: R4 rest-hook (the resource as body when channel.payload is set). */
export function buildRestHookRequest(
  subscription: Subscription,
  body: string | undefined
): { url: string; init: RequestInit } {
  const headers: Record<string, string> = {};
  for (const line of subscription.channel.header ?? []) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  if (body !== undefined) {
    headers['Content-Type'] = subscription.channel.payload ?? 'application/fhir+json';
  }
  const secret = secretOf(subscription);
  if (secret) {
    headers['X-Signature'] = crypto
      .createHmac('sha256', secret)
      .update(body ?? '')
      .digest('hex');
  }
  return { url: subscription.channel.endpoint as string, init: { method: 'POST', headers, body } };
}

/**
 * At-least-once: a failure (network, timeout, non-2xx) is written to Subscription.error and thrown, and the queue
 * retries with exponential back-off (graphile-worker: e^attempt seconds); the last failed attempt dead-letters the
 * Subscription (status error). Receivers should de-duplicate on the resource's id and meta.versionId.
 */
export function restHookTask(options: RestHookOptions): JobHandler {
  return async (payload, context) => {
    const { subscription: subscriptionId, change } = payload as RestHookPayload;
    let subscription: Subscription;
    try {
      subscription = await options.systemRepo.readResource<Subscription>('Subscription', subscriptionId);
    } catch {
      return; // Deleted since: nothing to deliver.
    }
    if (subscription.status !== 'active') {
      return;
    }
    const content = (await loadVersions(options.pool, [change as ResourceChange])).get(change.slice(0, 3).join('/'));
    if (!content) {
      return;
    }
    const body = subscription.channel.payload ? JSON.stringify(content) : undefined;
    const { url, init } = buildRestHookRequest(subscription, body);
    let failure: string | undefined;
    try {
      const response = await fetch(url, { ...init, signal: AbortSignal.timeout(options.timeoutMs ?? 10_000) });
      await response.arrayBuffer().catch(() => undefined);
      if (!response.ok) {
        failure = `HTTP ${response.status} from ${url}`;
      }
    } catch (err) {
      failure = `${(err as Error).name === 'TimeoutError' ? 'Timed out' : 'Could not connect'}: ${url} (${(err as Error).message})`;
    }
    if (!failure) {
      return;
    }
    const deadLetter = context.attempts >= context.maxAttempts;
    const what = `${change[0]}/${change[1]}/_history/${change[2]}`;
    await recordDeliveryError(
      options.systemRepo,
      subscriptionId,
      deadLetter
        ? `Gave up delivering ${what} after ${context.attempts} attempts: ${failure}`
        : `Attempt ${context.attempts} of ${context.maxAttempts} to deliver ${what} failed: ${failure}`,
      deadLetter
    );
    throw new Error(failure); // After the last attempt the job stays in the queue's table: the dead letter.
  };
}
