// Device-flags bot against the in-memory fake: silent devices (default and programme limit) and outdated firmware alert once.
import { describe, expect, test } from 'vitest';
import type { DetectedIssue, Device, PlanDefinition } from '@medplum/fhirtypes';
import { readExample } from '../testing/examples.ts';
import { DeviceFake } from '../testing/deviceFake.ts';
import { enrol } from '../testing/enrolment.ts';
import { pulse } from '../testing/observations.ts';
import { MINIMUM_FIRMWARE_EXTENSION, SILENCE_LIMIT_EXTENSION } from '../rules/devices/deviceRules.ts';
import { scanDevices } from './deviceFlags.bot.ts';

const NOW = new Date('2025-06-10T12:00:00Z');
const hoursAgo = (h: number): string => new Date(NOW.getTime() - h * 3_600_000).toISOString();

function device(id: string, patient: string | undefined, firmware = '2.4.1'): Device {
  return {
    resourceType: 'Device',
    id,
    manufacturer: 'Acme Medical',
    modelNumber: 'OX-200',
    serialNumber: `SN-${id}`,
    version: [{ type: { coding: [{ system: 'urn:iso:std:iso:11073:10101', code: '531976' }] }, value: firmware }],
    ...(patient ? { patient: { reference: patient } } : {}),
  };
}

function setUp(): DeviceFake {
  const fake = new DeviceFake();
  const programme = readExample<PlanDefinition>('rpm-threshold-programme-heart-failure');
  fake.seed(
    {
      ...programme,
      extension: [
        ...(programme.extension ?? []),
        {
          url: SILENCE_LIMIT_EXTENSION,
          valueDuration: { value: 24, unit: 'h', system: 'http://unitsofmeasure.org', code: 'h' },
        },
        {
          url: MINIMUM_FIRMWARE_EXTENSION,
          extension: [
            { url: 'model', valueString: 'OX-200' },
            { url: 'version', valueString: '2.4.0' },
          ],
        },
      ],
    },
    readExample<PlanDefinition>('rpm-threshold-programme-respiratory-virtual-ward')
  );
  enrol(fake, 'Patient/hf', 'heart-failure');
  enrol(fake, 'Patient/rvw', 'respiratory-virtual-ward');
  // hf: d-quiet last sent 30 h ago (limit 24 h), d-old runs 2.3.9 and sent 1 h ago; rvw (default 48 h): d-rvw 30 h ago.
  fake.seed(device('d-quiet', 'Patient/hf'), device('d-old', 'Patient/hf', '2.3.9'), device('d-rvw', 'Patient/rvw'));
  fake.seed(device('d-stock', undefined, '1.0.0'));
  fake.received(
    { ...pulse(70, hoursAgo(30), { patient: 'Patient/hf' }), id: 'o1', device: { reference: 'Device/d-quiet' } },
    hoursAgo(30)
  );
  fake.received(
    { ...pulse(71, hoursAgo(1), { patient: 'Patient/hf' }), id: 'o2', device: { reference: 'Device/d-old' } },
    hoursAgo(1)
  );
  fake.received(
    { ...pulse(72, hoursAgo(30), { patient: 'Patient/rvw' }), id: 'o3', device: { reference: 'Device/d-rvw' } },
    hoursAgo(30)
  );
  return fake;
}

describe('device flags bot', () => {
  test('a silent device (programme limit 24 h) and outdated firmware alert; the default 48 h and stock devices do not', async () => {
    const fake = setUp();
    const result = await scanDevices(fake.client, NOW);
    expect(result.devices).toBe(3);
    expect(result.alerts).toEqual([
      { device: 'Device/d-quiet', patient: 'Patient/hf', rule: 'device-silent', outcome: 'created' },
      { device: 'Device/d-old', patient: 'Patient/hf', rule: 'device-firmware-outdated', outcome: 'created' },
    ]);
    const alerts = fake.all<DetectedIssue>('DetectedIssue');
    const silent = alerts.find((a) => a.identifier?.[0].value === 'device-silent.d-quiet:Patient/hf');
    expect(silent).toMatchObject({ severity: 'moderate', status: 'preliminary', patient: { reference: 'Patient/hf' } });
    expect(silent?.detail).toBe(
      'The Acme Medical OX-200 (serial SN-d-quiet) assigned to this patient has sent nothing for 1 day 6 hours (since ' +
        '2025-06-09 06:00 UTC; the limit is 1 day): check the device, its batteries and its connection with the patient'
    );
    const old = alerts.find((a) => a.identifier?.[0].value === 'device-firmware-outdated.d-old:Patient/hf');
    expect(old).toMatchObject({ severity: 'low' });
    expect(old?.detail).toMatch(/runs firmware 2\.3\.9, older than the programme's minimum 2\.4\.0/);
  });

  test('a second run writes nothing new: one open alert per device, patient and rule', async () => {
    const fake = setUp();
    await scanDevices(fake.client, NOW);
    const second = await scanDevices(fake.client, NOW);
    expect(second.alerts.map((a) => a.outcome)).toEqual(['unchanged', 'unchanged']);
    expect(fake.all<DetectedIssue>('DetectedIssue')).toHaveLength(2);
  });

  test('a device that never sent a reading counts from when it was assigned (Device.meta.lastUpdated)', async () => {
    const fake = setUp();
    fake.received(device('d-new', 'Patient/rvw'), hoursAgo(49));
    const result = await scanDevices(fake.client, NOW);
    expect(result.alerts.filter((a) => a.device === 'Device/d-new').map((a) => a.rule)).toEqual(['device-silent']);
  });
});
