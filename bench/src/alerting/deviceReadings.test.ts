// The alerting benchmark's readings come from the simulator's mapping: the same values, codes and subject as before.
import { describe, expect, test } from 'vitest';
import { normalReading, redReading } from './deviceReadings.ts';

const AT = new Date('2025-06-01T08:00:00Z');
const loinc = (o: { code: { coding?: { system?: string; code?: string }[] } }): string | undefined =>
  o.code.coding?.find((c) => c.system === 'http://loinc.org')?.code;

describe('alerting benchmark readings', () => {
  test('normal readings alternate heart rate 72/min and SpO2 97 %; the red one is SpO2 84 %', () => {
    const even = normalReading('p1', 0, AT);
    const odd = normalReading('p1', 1, AT);
    const red = redReading('p1', AT);
    expect([loinc(even), even.valueQuantity?.value, even.valueQuantity?.code]).toEqual(['8867-4', 72, '/min']);
    expect([loinc(odd), odd.valueQuantity?.value, odd.valueQuantity?.code]).toEqual(['2708-6', 97, '%']);
    expect([loinc(red), red.valueQuantity?.value]).toEqual(['2708-6', 84]);
    for (const reading of [even, odd, red]) {
      expect(reading).toMatchObject({
        resourceType: 'Observation',
        status: 'final',
        subject: { reference: 'Patient/p1' },
      });
      expect(reading.effectiveDateTime).toBe('2025-06-01T08:00:00.000Z');
      expect(reading.device).toBeUndefined();
      expect(reading.category?.[0].coding?.[0].code).toBe('vital-signs');
    }
  });
});
