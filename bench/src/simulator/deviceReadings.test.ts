// Device kit and device readings: stable device identities, the Observations each device sends, faults and misses.
import type { Observation } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import { phdGatewayBundle } from '../../../server/src/devices/phdGatewayBundle.ts';
import { seededRandom } from '../prng.ts';
import { deviceKit, simulatedEui64 } from './deviceKit.ts';
import { deviceUploads } from './deviceReadings.ts';
import type { VitalSigns } from './physiology.ts';

const VITALS: VitalSigns = {
  heartRate: 78.4,
  spo2: 96.2,
  systolic: 131.6,
  diastolic: 82.2,
  temperature: 36.84,
  respiratoryRate: 16.4,
  weight: 81.26,
};
const AT = new Date('2025-06-01T08:30:15.678Z');
const NONE = { missed: 0, fault: 0 };

function codesOf(observation: Observation): string {
  return observation.code.coding?.map((c) => c.code).join(' ') ?? '';
}

describe('deviceKit', () => {
  test('four devices with EUI-64s unique per patient and kind, the same on every run', () => {
    const kit = deviceKit(42);
    expect(kit.map((d) => d.kind)).toEqual([
      'pulse-oximeter',
      'blood-pressure-monitor',
      'thermometer',
      'weighing-scale',
    ]);
    expect(kit.map((d) => d.eui64)).toEqual([
      '020151000000002A',
      '020251000000002A',
      '020351000000002A',
      '020451000000002A',
    ]);
    expect(kit.every((d) => /^[0-9A-F]{16}$/.test(d.eui64))).toBe(true);
    expect(deviceKit(42)).toEqual(kit);
    expect(simulatedEui64('thermometer', 43)).not.toBe(simulatedEui64('thermometer', 42));
    expect(kit[0].device.version?.[0].value).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe('deviceUploads', () => {
  test('every device reports: SpO2, pulse and respiratory rate; BP panel and pulse; temperature; weight', () => {
    const uploads = deviceUploads(deviceKit(0), VITALS, AT, seededRandom(1), NONE);
    expect(uploads.map((u) => u.observations.map(codesOf))).toEqual([
      ['2708-6 59408-5 150456', '8867-4 149530', '9279-1 151562'],
      ['85354-9 150020', '8867-4 149546'],
      ['8310-5 150364'],
      ['29463-7 188736'],
    ]);
    const [oximeter, cuff, thermometer, scale] = uploads.map((u) => u.observations);
    expect(oximeter.map((o) => o.valueQuantity?.value)).toEqual([96, 78, 16]);
    expect(cuff[0].component?.map((c) => c.valueQuantity?.value)).toEqual([132, 82, 99]);
    expect(thermometer[0].valueQuantity).toMatchObject({ value: 36.8, code: 'Cel' });
    expect(scale[0].valueQuantity).toMatchObject({ value: 81.3, code: 'kg' });
    // Device time at whole seconds: the PHD identifier has second resolution.
    expect(new Set(uploads.flatMap((u) => u.observations.map((o) => o.effectiveDateTime)))).toEqual(
      new Set(['2025-06-01T08:30:15.000Z'])
    );
  });

  test('a faulty device sends special values as dataAbsentReason, never a number', () => {
    const uploads = deviceUploads(deviceKit(0), VITALS, AT, seededRandom(1), { missed: 0, fault: 1 });
    expect(uploads.every((u) => u.fault)).toBe(true);
    for (const observation of uploads.flatMap((u) => u.observations)) {
      const values = [observation, ...(observation.component ?? [])];
      const absent = values.filter((v) => v.dataAbsentReason);
      expect(absent.length).toBeGreaterThan(0);
      expect(values.every((v) => v.valueQuantity === undefined)).toBe(true);
    }
  });

  test('missed readings leave their device out', () => {
    expect(deviceUploads(deviceKit(0), VITALS, AT, seededRandom(1), { missed: 1, fault: 0 })).toEqual([]);
    const random = seededRandom(5);
    let missed = 0;
    for (let i = 0; i < 500; i++) missed += 4 - deviceUploads(deviceKit(0), VITALS, AT, random).length;
    expect(missed / 2000).toBeGreaterThan(0.02);
    expect(missed / 2000).toBeLessThan(0.09);
  });

  test('an upload becomes a PHD bundle: one identifier per reading, unique, resend-stable', () => {
    const [oximeter] = deviceUploads(deviceKit(7), VITALS, AT, seededRandom(1), NONE);
    const patient = {
      resourceType: 'Patient' as const,
      identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9990000018' }],
    };
    const bundle = phdGatewayBundle({ patient, device: oximeter.device.device, observations: oximeter.observations });
    const criteria = bundle.entry?.map((e) => e.request?.ifNoneExist);
    expect(criteria?.slice(2)).toEqual([
      'identifier=http://hl7.org/fhir/uv/phd/StructureDefinition/PhdBaseObservation|0201510000000007-9990000018-20250601083015-150456',
      'identifier=http://hl7.org/fhir/uv/phd/StructureDefinition/PhdBaseObservation|0201510000000007-9990000018-20250601083015-149530',
      'identifier=http://hl7.org/fhir/uv/phd/StructureDefinition/PhdBaseObservation|0201510000000007-9990000018-20250601083015-151562',
    ]);
    expect(new Set(criteria).size).toBe(criteria?.length);
    const again = phdGatewayBundle({ patient, device: oximeter.device.device, observations: oximeter.observations });
    expect(again.entry?.map((e) => e.request?.ifNoneExist)).toEqual(criteria);
  });
});
