// Sends the outbox's due readings, each Observation by conditional create on its app identifier: never twice.
import type { MedplumClient } from '@medplum/core';
import type { Bundle, Device, Observation } from '@medplum/fhirtypes';
import { deviceWithReportedDetails } from '../devices/deviceVersions.ts';
import { plainError } from '../ui/plainError.ts';
import { afterFailure, dueItems, ifNoneExistCriteria, type OutboxItem } from './outboxItem.ts';
import type { OutboxStore } from './outboxStore.ts';
import { readingTransaction, sentObservationIds } from './readingTransaction.ts';

/** Sent readings stay on the phone this long (today's screen counts them while the server is out of reach). */
export const KEEP_SENT_MS = 2 * 24 * 3600_000;

/**
 * Each send is tried once: the outbox's own back-off (retryDelayMs) does the retrying, so MedplumClient's quick
 * retries would only keep the patient waiting longer, e.g. while a busy server holds a reading and then answers 503.
 */
const ONE_TRY = { maxRetries: 0 } as const;

/**
 * Sends one item; a repeat (after a lost answer) finds what was already created. A Bluetooth reading with its Device:
 * one transaction (Device and Observations together, or nothing). Typed-in readings, and items saved before the app
 * recorded Devices: each Observation in order.
 */
async function sendItem(medplum: MedplumClient, item: OutboxItem): Promise<string[]> {
  if (item.device) {
    const response = await medplum.executeBatch(readingTransaction(item), ONE_TRY);
    const ids = sentObservationIds(item, response);
    await keepDeviceUpToDate(medplum, item.device.resource, response);
    return ids;
  }
  const ids: string[] = [];
  for (const observation of item.resources) {
    const created = await medplum.createResourceIfNoneExist<Observation>(
      observation,
      ifNoneExistCriteria(observation),
      ONE_TRY
    );
    ids.push(created.id as string);
  }
  return ids;
}

/**
 * After a Bluetooth reading is sent: when the device reported details its stored Device lacks or has older (new
 * firmware after an update), the Device is updated, so the device rules judge the firmware it runs now. The reading
 * is already safe on the server: a failed update is tried again with the next reading, not reported.
 */
async function keepDeviceUpToDate(medplum: MedplumClient, reported: Device, response: Bundle): Promise<void> {
  try {
    const entry = response.entry?.[0];
    const id =
      (entry?.resource as Device | undefined)?.id ?? /^Device\/([^/]+)/.exec(entry?.response?.location ?? '')?.[1];
    if (!id) {
      return;
    }
    const stored = await medplum.readResource('Device', id, { cache: 'no-cache' });
    const updated = deviceWithReportedDetails(stored, reported);
    if (updated) {
      await medplum.updateResource(updated);
    }
  } catch {
    // Tried again with the device's next reading.
  }
}

/**
 * One pass: every due item is tried once, oldest first; what happened is saved before the next. Old sent items are
 * removed. Returns the items as they are now.
 */
export async function sendDueItems(
  store: OutboxStore,
  medplum: MedplumClient,
  now = Date.now()
): Promise<OutboxItem[]> {
  const items = await store.all();
  for (const item of items) {
    if (item.state === 'sent' && Date.parse(item.takenAt) < now - KEEP_SENT_MS) {
      await store.delete(item.id);
    }
  }
  for (const item of dueItems(items, now)) {
    try {
      const sentIds = await sendItem(medplum, item);
      await store.put({ ...item, state: 'sent', sentIds, problem: undefined });
    } catch (err) {
      await store.put(afterFailure(item, err, plainError(err), Date.now()));
    }
  }
  return store.all();
}
