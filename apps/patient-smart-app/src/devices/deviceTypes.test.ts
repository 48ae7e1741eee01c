// Device readings on the worked vectors: the words the patient confirms and the Observations sent with the device.
import { describe, expect, test } from 'vitest';
import { hex } from '../bluetooth/testBytes.ts';
import { DEVICE_TYPES, describeReading, deviceObservations } from './deviceTypes.ts';

const type = (key: string) => DEVICE_TYPES.find((t) => t.key === key) as (typeof DEVICE_TYPES)[number];
const BP_VECTOR = '1E 8A 00 58 00 78 00 00 00 04 11 14 29 3B 3C 00 01 27 00';

describe('device types', () => {
  test('one per standard health service, each with its measurement characteristic', () => {
    expect(DEVICE_TYPES.map((t) => [t.service, t.characteristic])).toEqual([
      [0x1810, 0x2a35],
      [0x1822, 0x2a5e],
      [0x1809, 0x2a1c],
      [0x181d, 0x2a9d],
      [0x180d, 0x2a37],
      [0x1808, 0x2a18],
    ]);
  });

  test('the reading in plain words (RPM-REFERENCE vectors)', () => {
    expect(describeReading(type('blood-pressure').decode(hex(BP_VECTOR)))).toBe(
      'Blood pressure 138/88 mmHg, pulse 60 beats a minute'
    );
    expect(describeReading(type('thermometer').decode(hex('06 B0 0E 00 FE DC 07 0C 05 0B 32 1B 04')))).toBe(
      'Temperature 37.6 °C'
    );
    expect(
      describeReading(type('pulse-oximeter').decode(hex('0F AC F3 BE F5 E8 07 0B 1D 17 08 39 20 40 22 00 00 66 E3')))
    ).toBe('Oxygen level 94%, pulse 147 beats a minute');
    expect(describeReading(type('heart-rate').decode(hex('1E 55 32 00 21 00')))).toBe('Heart rate 85 beats a minute');
    // NaN systolic (0x07FF): the device did not measure; nothing to confirm.
    expect(describeReading(type('blood-pressure').decode(hex('00 FF 07 58 00 78 00')))).toBeUndefined();
  });

  test('the blood pressure vector becomes a device BP panel and pulse, naming the Device entry by urn:uuid', () => {
    const receivedAt = new Date('2026-11-24T09:00:00Z');
    const observations = deviceObservations({
      reading: type('blood-pressure').decode(hex(BP_VECTOR)),
      type: type('blood-pressure'),
      device: { id: 'abc123==', name: 'Cuff BP-1' },
      deviceUrl: 'urn:uuid:7d1c1f7e-3f0b-4a8e-9a51-2b6f2d0c9e11',
      patientReference: 'Patient/p',
      receivedAt,
    });
    expect(observations).toHaveLength(2);
    const [panel, pulse] = observations;
    expect(panel.component?.slice(0, 2).map((c) => c.valueQuantity?.value)).toEqual([138, 88]);
    expect(pulse.valueQuantity).toMatchObject({ value: 60, code: '/min' });
    for (const observation of observations) {
      expect(observation.subject).toEqual({ reference: 'Patient/p' });
      expect(observation.device).toEqual({
        reference: 'urn:uuid:7d1c1f7e-3f0b-4a8e-9a51-2b6f2d0c9e11',
        display: 'Cuff BP-1 (Blood pressure monitor, Bluetooth)',
      });
      expect(observation.method?.coding?.[0].code).toBe('device');
      // The vector's timestamp has no year: the time the app received it is used.
      expect(Date.parse(observation.effectiveDateTime as string)).toBe(receivedAt.getTime());
    }
  });
});
