// Test helper: the in-memory fake plus the two searches the device-flags bot makes (assigned Devices, a device's newest reading).
import type { MedplumClient, QueryTypes } from '@medplum/core';
import type { Device, Observation, Resource, ResourceType } from '@medplum/fhirtypes';
import { FakeMedplum } from './fakeMedplum.ts';

function pairs(query: QueryTypes): [string, string][] {
  return Array.isArray(query) ? (query as [string, string][]) : [...new URLSearchParams(query as string).entries()];
}

/**
 * Adds `Device?patient:missing=false` (paged by `_count`) and `Observation?device=Device/x&_sort=-_lastUpdated&_count=1`
 * to FakeMedplum; everything else is the base fake's. `received` stores a resource with the given meta.lastUpdated
 * (the time the server received it).
 */
export class DeviceFake extends FakeMedplum {
  get client(): MedplumClient {
    return this as unknown as MedplumClient;
  }

  received(resource: Resource, at: string): void {
    this.seed(resource);
    const key = `${resource.resourceType}/${resource.id}`;
    const stored = this.resources.get(key) as Resource;
    this.resources.set(key, { ...stored, meta: { ...stored.meta, lastUpdated: at } });
  }

  async searchResources(resourceType: ResourceType, query?: QueryTypes): Promise<Resource[]> {
    const params = new Map(pairs(query));
    if (resourceType === 'Observation' && params.has('device')) {
      this.log.push(`search Observation?device=${params.get('device')}`);
      if (params.get('_sort') !== '-_lastUpdated' || params.get('_count') !== '1' || params.size !== 3) {
        throw new Error('DeviceFake: only Observation?device=…&_sort=-_lastUpdated&_count=1');
      }
      const readings = this.all<Observation>('Observation').filter((o) => o.device?.reference === params.get('device'));
      readings.sort((a, b) => (b.meta?.lastUpdated ?? '').localeCompare(a.meta?.lastUpdated ?? ''));
      return structuredClone(readings.slice(0, 1));
    }
    return super.searchResources(resourceType, query);
  }

  async *searchResourcePages(resourceType: ResourceType, query?: QueryTypes): AsyncGenerator<Resource[]> {
    const params = new Map(pairs(query));
    if (resourceType !== 'Device' || params.get('patient:missing') !== 'false') {
      yield* super.searchResourcePages(resourceType, query);
      return;
    }
    this.log.push('search pages Device?patient:missing=false');
    const assigned = this.all<Device>('Device').filter((d) => d.patient?.reference);
    const size = Number(params.get('_count') ?? assigned.length) || 1;
    for (let from = 0; from < assigned.length; from += size) {
      yield structuredClone(assigned.slice(from, from + size));
    }
  }
}
