// The Devices screen's words for each device: name, model, last reading; newest first.
import type { Device } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import { byLastReading, myDevice } from './myDevices.ts';

describe('myDevice', () => {
  test('the Bluetooth name, maker and model, and the newest reading time', () => {
    const device: Device = {
      resourceType: 'Device',
      id: 'd1',
      manufacturer: 'Acme',
      modelNumber: 'BP-700',
      deviceName: [{ name: 'Cuff BP-1', type: 'user-friendly-name' }],
    };
    const reading = { resourceType: 'Observation', effectiveDateTime: '2026-11-24T09:00:00Z' } as const;
    expect(myDevice(device, reading as never)).toEqual({
      id: 'd1',
      name: 'Cuff BP-1',
      model: 'Acme BP-700',
      lastReadingAt: '2026-11-24T09:00:00Z',
    });
  });

  test('without a name: the model, else the type; no readings yet', () => {
    expect(myDevice({ resourceType: 'Device', id: 'd2', modelNumber: 'OX-2' }, undefined)).toEqual({
      id: 'd2',
      name: 'OX-2',
    });
    expect(myDevice({ resourceType: 'Device', id: 'd3', type: { text: 'Thermometer' } }, undefined).name).toBe(
      'Thermometer'
    );
  });

  test('newest reading first, unused devices last', () => {
    const list = [
      { id: 'a', name: 'A' },
      { id: 'b', name: 'B', lastReadingAt: '2026-01-01T00:00:00Z' },
      { id: 'c', name: 'C', lastReadingAt: '2026-02-01T00:00:00Z' },
    ].sort(byLastReading);
    expect(list.map((d) => d.id)).toEqual(['c', 'b', 'a']);
  });
});
