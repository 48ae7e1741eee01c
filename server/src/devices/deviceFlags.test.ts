// The device-flags bot on a real server: deployed hourly; a silent assigned device and outdated firmware become alerts once.
import { randomUUID } from 'node:crypto';
import type { CarePlan, DetectedIssue, Device, Parameters, Patient, PlanDefinition } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import { MINIMUM_FIRMWARE_EXTENSION, SILENCE_LIMIT_EXTENSION } from '../../../bots/src/rules/devices/deviceRules.ts';
import { spo2Reading } from '../testing/monitoring.ts';
import { useTestServer } from '../testing/testServer.ts';
import { MDC_SYSTEM, MDC_VERSION_TYPES } from './phdGatewayBundle.ts';

const ctx = useTestServer({ RPM_BUILT_IN_BOTS: 'true' });

interface ScanResult {
  devices: number;
  alerts: { device: string; patient: string; rule: string; outcome: string }[];
}

async function runBot(): Promise<ScanResult> {
  const response = await ctx.medplum.post(ctx.medplum.fhirUrl('Bot', 'rpm-device-flags', '$execute'), {
    resourceType: 'Parameters',
    parameter: [{ name: 'scheduled', valueDateTime: new Date().toISOString() }],
  });
  return JSON.parse((response as Parameters).parameter?.find((p) => p.name === 'result')?.valueString ?? 'null');
}

describe('device flags bot on the real server', () => {
  test('deployed as a scheduled Bot; flags silence (programme limit) and firmware below the minimum, once', async () => {
    const bot = await ctx.medplum.readResource('Bot', 'rpm-device-flags');
    expect(bot.cronString).toBe('0 * * * *');

    const tag = randomUUID().slice(0, 8);
    const model = `OX-${tag}`;
    const url = `http://rpm-platform.org/fhir/PlanDefinition/device-flags-test-${tag}`;
    await ctx.medplum.createResource<PlanDefinition>({
      resourceType: 'PlanDefinition',
      url,
      status: 'active',
      title: 'Device flags test programme',
      extension: [
        // 0.001 h = 3.6 s, so the test need not wait two days.
        {
          url: SILENCE_LIMIT_EXTENSION,
          valueDuration: { value: 0.001, unit: 'h', system: 'http://unitsofmeasure.org', code: 'h' },
        },
        {
          url: MINIMUM_FIRMWARE_EXTENSION,
          extension: [
            { url: 'model', valueString: model },
            { url: 'version', valueString: '2.4.0' },
          ],
        },
      ],
    });
    const patient = await ctx.medplum.createResource<Patient>({
      resourceType: 'Patient',
      name: [{ family: `Devices-${tag}` }],
    });
    await ctx.medplum.createResource<CarePlan>({
      resourceType: 'CarePlan',
      status: 'active',
      intent: 'plan',
      subject: { reference: `Patient/${patient.id}` },
      instantiatesCanonical: [url],
      period: { start: new Date().toISOString() },
    });
    const firmware = (value: string): Device['version'] => [
      { type: { coding: [{ system: MDC_SYSTEM, code: MDC_VERSION_TYPES.firmware }] }, value },
    ];
    const quiet = await ctx.medplum.createResource<Device>({
      resourceType: 'Device',
      manufacturer: 'Acme Medical',
      modelNumber: model,
      serialNumber: `Q-${tag}`,
      version: firmware('2.4.0'),
    });
    const old = await ctx.medplum.createResource<Device>({
      resourceType: 'Device',
      manufacturer: 'Acme Medical',
      modelNumber: model,
      serialNumber: `O-${tag}`,
      version: firmware('2.3.9'),
    });
    for (const device of [quiet, old]) {
      await ctx.medplum.post(ctx.medplum.fhirUrl('Device', device.id as string, '$assign'), {
        resourceType: 'Parameters',
        parameter: [{ name: 'patient', valueReference: { reference: `Patient/${patient.id}` } }],
      });
    }
    await ctx.medplum.createResource({
      ...spo2Reading(patient.id as string, 97),
      device: { reference: `Device/${quiet.id}` },
    });
    await new Promise((resolve) => setTimeout(resolve, 4000));
    // The old-firmware device now sends a reading: it is not silent, only outdated.
    await ctx.medplum.createResource({
      ...spo2Reading(patient.id as string, 96),
      device: { reference: `Device/${old.id}` },
    });

    const mine = (result: ScanResult) =>
      result.alerts
        .filter((a) => a.patient === `Patient/${patient.id}`)
        .map(({ device, rule, outcome }) => ({ device, rule, outcome }));
    expect(mine(await runBot())).toEqual([
      { device: `Device/${quiet.id}`, rule: 'device-silent', outcome: 'created' },
      { device: `Device/${old.id}`, rule: 'device-firmware-outdated', outcome: 'created' },
    ]);
    const stored = await ctx.medplum.searchResources('DetectedIssue', { patient: `Patient/${patient.id}` });
    expect(stored.map((a: DetectedIssue) => a.identifier?.[0].value).sort()).toEqual(
      [
        `device-firmware-outdated.${old.id}:Patient/${patient.id}`,
        `device-silent.${quiet.id}:Patient/${patient.id}`,
      ].sort()
    );
    expect(stored.find((a) => a.code?.coding?.[0].code === 'device-silent')?.detail).toMatch(
      new RegExp(`^The Acme Medical ${model} \\(serial Q-${tag}\\) assigned to this patient has sent nothing for`)
    );
    const again = mine(await runBot());
    expect(again.find((a) => a.rule === 'device-firmware-outdated')?.outcome).toBe('unchanged');
    // By now the old device is silent too (its reading is older than 3.6 s): still one open alert per device and rule.
    const identifiers = (await ctx.medplum.searchResources('DetectedIssue', { patient: `Patient/${patient.id}` })).map(
      (a) => a.identifier?.[0].value
    );
    expect(new Set(identifiers).size).toBe(identifiers.length);
    expect(identifiers).toContain(`device-silent.${quiet.id}:Patient/${patient.id}`);
  });
});
