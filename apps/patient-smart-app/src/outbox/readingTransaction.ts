// A Bluetooth reading as ONE transaction Bundle: its Device by conditional create, then its Observations naming it.
import type { Bundle, BundleEntry, Observation, Resource } from '@medplum/fhirtypes';
import { deviceIfNoneExist } from '../devices/deviceResource.ts';
import { ifNoneExistCriteria, type OutboxItem } from './outboxItem.ts';

/**
 * The transaction of an item with a Device: first the Device under its `urn:uuid` (`ifNoneExist` on its Web Bluetooth
 * identifier: the Device made by an earlier reading is found, not made again), then each Observation by conditional
 * create on its app identifier; their `device.reference` is the Device's `urn:uuid`, which the server replaces with
 * `Device/<id>` (created or found). Sending it again (a lost answer) creates nothing new.
 */
export function readingTransaction(item: OutboxItem): Bundle {
  if (!item.device) {
    throw new Error('a reading transaction needs the item’s Device');
  }
  const { fullUrl, resource: device } = item.device;
  const entries: BundleEntry[] = [
    { fullUrl, resource: device, request: { method: 'POST', url: 'Device', ifNoneExist: deviceIfNoneExist(device) } },
    // No fullUrl: nothing refers to the Observations.
    ...item.resources.map((observation): BundleEntry => ({
      resource: observation,
      request: { method: 'POST', url: 'Observation', ifNoneExist: ifNoneExistCriteria(observation) },
    })),
  ];
  return { resourceType: 'Bundle', type: 'transaction', entry: entries };
}

/** The ids of the created (or found) Observations, in order, from the transaction's answer. */
export function sentObservationIds(item: OutboxItem, response: Bundle<Resource>): string[] {
  const entries = (response.entry ?? []).slice(1);
  if (entries.length !== item.resources.length) {
    throw new Error(`the server answered ${entries.length} Observation entries for ${item.resources.length}`);
  }
  return entries.map((entry) => {
    const location = entry.response?.location ?? '';
    const id = (entry.resource as Observation | undefined)?.id ?? /^Observation\/([^/]+)/.exec(location)?.[1];
    if (!id) {
      throw new Error(`the server's answer names no Observation (${location || 'no location'})`);
    }
    return id;
  });
}
