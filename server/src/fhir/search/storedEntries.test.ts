// Stored-JSON search entries: the written Bundle equals plain serialisation, and touched resources are re-serialised.
import type { Bundle, Observation } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import { bundleToJson, storedMatchEntry } from './storedEntries.ts';

const stored: Observation = {
  resourceType: 'Observation',
  id: 'o1',
  status: 'final',
  code: { text: 'Heart rate' },
  valueQuantity: { value: 72, unit: '/min' },
};

function bundleWith(...contents: string[]): Bundle {
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    total: contents.length,
    entry: contents.map((c, i) => storedMatchEntry(`http://x/Observation/o${i}`, c)),
  };
}

describe('stored search entries', () => {
  test('serialise exactly like the parsed Bundle would', () => {
    const bundle = bundleWith(JSON.stringify(stored), JSON.stringify({ ...stored, id: 'o2' }));
    const fast = JSON.parse(bundleToJson(bundle));
    const plain = JSON.parse(JSON.stringify(bundle)); // reading every resource through the getter
    expect(fast).toEqual(plain);
    expect(fast.entry[1].resource.id).toBe('o2');
    expect(fast.entry[0].search).toEqual({ mode: 'match' });
  });

  test('a resource that was read and changed is written as changed, never as the stale stored text', () => {
    const bundle = bundleWith(JSON.stringify(stored));
    (bundle.entry?.[0].resource as Observation).status = 'amended';
    expect(JSON.parse(bundleToJson(bundle)).entry[0].resource.status).toBe('amended');
    const replaced = bundleWith(JSON.stringify(stored));
    (replaced.entry as { resource?: unknown }[])[0].resource = { ...stored, status: 'cancelled' };
    expect(JSON.parse(bundleToJson(replaced)).entry[0].resource.status).toBe('cancelled');
  });

  test('a Bundle without entries, or with ordinary ones, is plain JSON', () => {
    const empty: Bundle = { resourceType: 'Bundle', type: 'searchset', total: 0 };
    expect(bundleToJson(empty)).toBe(JSON.stringify(empty));
    const ordinary: Bundle = { resourceType: 'Bundle', type: 'searchset', entry: [{ resource: stored }] };
    expect(bundleToJson(ordinary)).toBe(JSON.stringify(ordinary));
  });
});
