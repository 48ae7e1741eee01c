// Device rules: silence limit boundaries (default and programme), minimum firmware by model, plain-words details.
import { describe, expect, test } from 'vitest';
import type { Device, PlanDefinition } from '@medplum/fhirtypes';
import {
  checkDevice,
  DEFAULT_SILENCE_LIMIT_HOURS,
  formatHours,
  MINIMUM_FIRMWARE_EXTENSION,
  readDeviceRules,
  SILENCE_LIMIT_EXTENSION,
} from './deviceRules.ts';

const NOW = new Date('2025-06-10T12:00:00Z');
const HOUR = 3_600_000;

const device = (firmware?: string, model = 'OX-200'): Device => ({
  resourceType: 'Device',
  id: 'd1',
  manufacturer: 'Acme Medical',
  modelNumber: model,
  serialNumber: 'SN-1',
  patient: { reference: 'Patient/p1' },
  ...(firmware
    ? { version: [{ type: { coding: [{ system: 'urn:iso:std:iso:11073:10101', code: '531976' }] }, value: firmware }] }
    : {}),
});

const programme: PlanDefinition = {
  resourceType: 'PlanDefinition',
  status: 'active',
  extension: [
    {
      url: SILENCE_LIMIT_EXTENSION,
      valueDuration: { value: 1, unit: 'd', system: 'http://unitsofmeasure.org', code: 'd' },
    },
    {
      url: MINIMUM_FIRMWARE_EXTENSION,
      extension: [
        { url: 'model', valueString: 'OX-200' },
        { url: 'version', valueString: '2.4.0' },
      ],
    },
  ],
};

describe('silent devices', () => {
  test('default 48 h: exactly 48 h is not silent, a minute more is', () => {
    const rules = readDeviceRules(undefined);
    expect(rules.silenceLimitHours).toBe(DEFAULT_SILENCE_LIMIT_HOURS);
    expect(checkDevice(device(), new Date(NOW.getTime() - 48 * HOUR), rules, NOW)).toEqual([]);
    const [finding] = checkDevice(device(), new Date(NOW.getTime() - 48 * HOUR - 60_000), rules, NOW);
    expect(finding.rule).toBe('device-silent');
    expect(finding.explanation).toBe(
      'The Acme Medical OX-200 (serial SN-1) assigned to this patient has sent nothing for 2 days (since 2025-06-08 ' +
        '11:59 UTC; the limit is 2 days): check the device, its batteries and its connection with the patient'
    );
  });

  test("the programme's limit (1 d) replaces the default; no last contact judges nothing", () => {
    const rules = readDeviceRules(programme);
    expect(rules.silenceLimitHours).toBe(24);
    expect(checkDevice(device(), new Date(NOW.getTime() - 25 * HOUR), rules, NOW).map((f) => f.rule)).toEqual([
      'device-silent',
    ]);
    expect(checkDevice(device(), undefined, rules, NOW)).toEqual([]);
  });
});

describe('outdated firmware', () => {
  const recent = new Date(NOW.getTime() - HOUR);
  test('older than the minimum for its model is flagged; the minimum itself and other models are not', () => {
    const rules = readDeviceRules(programme);
    const [finding] = checkDevice(device('2.3.9'), recent, rules, NOW);
    expect(finding).toEqual({
      rule: 'device-firmware-outdated',
      explanation:
        "The Acme Medical OX-200 (serial SN-1) assigned to this patient runs firmware 2.3.9, older than the programme's " +
        'minimum 2.4.0 for this model: update its firmware or replace the device',
    });
    expect(checkDevice(device('2.4.0'), recent, rules, NOW)).toEqual([]);
    expect(checkDevice(device('2.4.0-rc.1'), recent, rules, NOW).map((f) => f.rule)).toEqual([
      'device-firmware-outdated',
    ]);
    expect(checkDevice(device('1.0.0', 'BP-9'), recent, rules, NOW)).toEqual([]);
    expect(checkDevice(device('rev B'), recent, rules, NOW)).toEqual([]);
    expect(checkDevice(device(undefined), recent, rules, NOW)).toEqual([]);
  });
});

test('formatHours', () => {
  expect(formatHours(0.5)).toBe('30 minutes');
  expect(formatHours(1)).toBe('1 hour');
  expect(formatHours(49.5)).toBe('2 days 1 hour');
  expect(formatHours(72)).toBe('3 days');
});
