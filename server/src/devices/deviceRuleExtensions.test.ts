// The device-rule extensions (fhir/profiles/rpm-device-*.json): their rules, the bot's reader, and what the server's validation does with them.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { evalFhirPathTyped } from '@medplum/core';
import type { Duration, Extension, OperationOutcome, PlanDefinition, StructureDefinition } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import {
  MINIMUM_FIRMWARE_EXTENSION,
  readDeviceRules,
  SILENCE_LIMIT_EXTENSION,
} from '../../../bots/src/rules/devices/deviceRules.ts';
import { REPO_ROOT } from '../config.ts';
import { useTestServer } from '../testing/testServer.ts';

const UCUM = 'http://unitsofmeasure.org';

function readJson<T>(...parts: string[]): T {
  return JSON.parse(readFileSync(path.join(REPO_ROOT, ...parts), 'utf8')) as T;
}

const silenceLimitDefinition = readJson<StructureDefinition>('fhir', 'profiles', 'rpm-device-silence-limit.json');
const minimumFirmwareDefinition = readJson<StructureDefinition>('fhir', 'profiles', 'rpm-device-minimum-firmware.json');

/** The keys of the definition's own rules (snapshot root, rpm-ext-*) that `extension` does not satisfy. */
function failing(definition: StructureDefinition, extension: Extension): string[] {
  const rules = (definition.snapshot?.element?.[0].constraint ?? []).filter((c) => c.key?.startsWith('rpm-ext-'));
  return rules
    .filter((rule) => {
      const [result] = evalFhirPathTyped(rule.expression as string, [{ type: 'Extension', value: extension }], {});
      return result?.value !== true;
    })
    .map((rule) => rule.key as string);
}

/** The definition's contextInvariant, evaluated on the PlanDefinition carrying the extensions. */
function contextInvariantHolds(definition: StructureDefinition, programme: PlanDefinition): boolean {
  const [expression] = definition.contextInvariant ?? [];
  const [result] = evalFhirPathTyped(expression, [{ type: 'PlanDefinition', value: programme }], {});
  return result?.value === true;
}

function silenceLimit(valueDuration: Duration): Extension {
  return { url: SILENCE_LIMIT_EXTENSION, valueDuration };
}

function minimumFirmware(model: string, version: string): Extension {
  return {
    url: MINIMUM_FIRMWARE_EXTENSION,
    extension: [
      { url: 'model', valueString: model },
      { url: 'version', valueString: version },
    ],
  };
}

function programme(extension: Extension[]): PlanDefinition {
  return { resourceType: 'PlanDefinition', status: 'draft', extension };
}

describe('rpm-device-silence-limit', () => {
  test('is an Extension on PlanDefinition with one rule', () => {
    expect(silenceLimitDefinition).toMatchObject({
      url: SILENCE_LIMIT_EXTENSION,
      type: 'Extension',
      context: [{ type: 'element', expression: 'PlanDefinition' }],
    });
    expect(silenceLimitDefinition.snapshot?.element?.[0].constraint?.map((c) => c.key)).toEqual([
      'ele-1',
      'ext-1',
      'rpm-ext-silence-1',
    ]);
  });

  test.each([
    [{ value: 30, unit: 'min', system: UCUM, code: 'min' }, 0.5],
    [{ value: 48, unit: 'h', system: UCUM, code: 'h' }, 48],
    [{ value: 2, unit: 'd', system: UCUM, code: 'd' }, 48],
    [{ value: 0.001, system: UCUM, code: 'h' }, 0.001],
  ])('accepts %j, which the bot reads as %s hours', (duration, hours) => {
    const extension = silenceLimit(duration);
    expect(failing(silenceLimitDefinition, extension)).toEqual([]);
    expect(readDeviceRules(programme([extension])).silenceLimitHours).toBeCloseTo(hours, 9);
  });

  test.each([
    ['a negative value', silenceLimit({ value: -1, system: UCUM, code: 'h' }), 48],
    ['zero', silenceLimit({ value: 0, system: UCUM, code: 'h' }), 48],
    ['months', silenceLimit({ value: 1, unit: 'mo', system: UCUM, code: 'mo' }), 48],
    ['seconds', silenceLimit({ value: 60, system: UCUM, code: 's' }), 48],
    ['no value', silenceLimit({ system: UCUM, code: 'h' }), 48],
    ['a string', { url: SILENCE_LIMIT_EXTENSION, valueString: '48 h' }, 48],
    ['a Quantity', { url: SILENCE_LIMIT_EXTENSION, valueQuantity: { value: 24, system: UCUM, code: 'h' } }, 48],
    // The bot is more lenient than the definition: it reads the unit from `code`, else `unit`, without the system.
    ['no UCUM system', silenceLimit({ value: 12, code: 'h' }), 12],
    ['a unit without code', silenceLimit({ value: 12, unit: 'h' }), 12],
  ])('refuses %s', (_name, extension, hours) => {
    expect(failing(silenceLimitDefinition, extension)).toEqual(['rpm-ext-silence-1']);
    expect(readDeviceRules(programme([extension])).silenceLimitHours).toBe(hours);
  });

  test('its context invariant allows one limit per programme', () => {
    const limit = silenceLimit({ value: 24, system: UCUM, code: 'h' });
    expect(contextInvariantHolds(silenceLimitDefinition, programme([]))).toBe(true);
    expect(contextInvariantHolds(silenceLimitDefinition, programme([limit]))).toBe(true);
    expect(contextInvariantHolds(silenceLimitDefinition, programme([limit, limit]))).toBe(false);
  });
});

describe('rpm-device-minimum-firmware', () => {
  test('is a complex Extension on PlanDefinition with three rules', () => {
    expect(minimumFirmwareDefinition).toMatchObject({
      url: MINIMUM_FIRMWARE_EXTENSION,
      type: 'Extension',
      context: [{ type: 'element', expression: 'PlanDefinition' }],
    });
    const elements = minimumFirmwareDefinition.snapshot?.element ?? [];
    expect(elements[0].constraint?.map((c) => c.key)).toEqual([
      'ele-1',
      'ext-1',
      'rpm-ext-firmware-1',
      'rpm-ext-firmware-2',
      'rpm-ext-firmware-3',
    ]);
    expect(elements.find((e) => e.id === 'Extension.value[x]')?.max).toBe('0');
    expect(elements.find((e) => e.id === 'Extension.extension')?.min).toBe(2);
  });

  test.each(['2.4.0', 'v2.4', '2.4.0-rc.1', '2.4.0+build7', '10'])(
    'accepts version %s, which the bot reads as the minimum for the model',
    (version) => {
      const extension = minimumFirmware('OX-200', version);
      expect(failing(minimumFirmwareDefinition, extension)).toEqual([]);
      expect(readDeviceRules(programme([extension])).minimumFirmware).toEqual(new Map([['OX-200', version]]));
    }
  );

  const model = { url: 'model', valueString: 'OX-200' };
  const version = { url: 'version', valueString: '2.4.0' };
  test.each([
    ['no version', [model], ['rpm-ext-firmware-1']],
    ['two models', [model, model, version], ['rpm-ext-firmware-1']],
    ['another sub-extension', [model, version, { url: 'hardware', valueString: '1' }], ['rpm-ext-firmware-1']],
    ['an integer version', [model, { url: 'version', valueInteger: 2 }], ['rpm-ext-firmware-2', 'rpm-ext-firmware-3']],
    ['a coded model', [{ url: 'model', valueCode: 'OX-200' }, version], ['rpm-ext-firmware-2']],
    ['a version that cannot be compared', [model, { url: 'version', valueString: 'latest' }], ['rpm-ext-firmware-3']],
  ])('refuses %s', (_name, subExtensions, keys) => {
    expect(failing(minimumFirmwareDefinition, { url: MINIMUM_FIRMWARE_EXTENSION, extension: subExtensions })).toEqual(
      keys
    );
  });

  test('its context invariant allows one minimum per model', () => {
    const distinct = programme([minimumFirmware('OX-200', '2.4.0'), minimumFirmware('BP-7', '1.2')]);
    const duplicated = programme([minimumFirmware('OX-200', '2.4.0'), minimumFirmware('OX-200', '2.5.0')]);
    expect(contextInvariantHolds(minimumFirmwareDefinition, distinct)).toBe(true);
    expect(contextInvariantHolds(minimumFirmwareDefinition, duplicated)).toBe(false);
  });
});

describe('the device-rule extensions on the real server', () => {
  const ctx = useTestServer();

  /** The heart-failure example programme under a url of its own, with these extensions instead of its others. */
  function exampleProgramme(extension: Extension[]): PlanDefinition {
    const { id: _id, ...example } = readJson<PlanDefinition>(
      'fhir',
      'profiles',
      'examples',
      'rpm-threshold-programme-heart-failure.json'
    );
    const url = `http://rpm-platform.org/fhir/PlanDefinition/device-rules-test-${randomUUID().slice(0, 8)}`;
    return { ...example, url, extension };
  }

  async function validate(resource: PlanDefinition, query = ''): Promise<{ status: number; errors: string[] }> {
    const response = await ctx.api(`PlanDefinition/$validate${query}`, {
      method: 'POST',
      body: JSON.stringify(resource),
    });
    const outcome = (await response.json()) as OperationOutcome;
    const errors = outcome.issue.filter((i) => i.severity === 'error').map((i) => i.details?.text ?? '');
    return { status: response.status, errors };
  }

  test('the server loads both definitions and stores them under their ids', async () => {
    for (const [id, url] of [
      ['rpm-device-silence-limit', SILENCE_LIMIT_EXTENSION],
      ['rpm-device-minimum-firmware', MINIMUM_FIRMWARE_EXTENSION],
    ]) {
      const stored = await ctx.medplum.readResource('StructureDefinition', id);
      expect(stored).toMatchObject({ url, type: 'Extension', status: 'active' });
      expect(stored.snapshot?.element?.length).toBe(5);
    }
  });

  test('a programme with valid device rules passes $validate and is written', async () => {
    const valid = exampleProgramme([
      silenceLimit({ value: 24, unit: 'h', system: UCUM, code: 'h' }),
      minimumFirmware('OX-200', '2.4.0'),
    ]);
    expect(await validate(valid)).toEqual({ status: 200, errors: [] });
    const created = await ctx.medplum.createResource(valid);
    expect(readDeviceRules(created)).toEqual({
      silenceLimitHours: 24,
      minimumFirmware: new Map([['OX-200', '2.4.0']]),
    });
  });

  test('$validate cannot take an extension definition as the profile of a PlanDefinition', async () => {
    const valid = exampleProgramme([silenceLimit({ value: 24, unit: 'h', system: UCUM, code: 'h' })]);
    const result = await validate(valid, `?profile=${encodeURIComponent(SILENCE_LIMIT_EXTENSION)}`);
    expect(result).toEqual({
      status: 200,
      errors: [`Profile ${SILENCE_LIMIT_EXTENSION} constrains Extension, not PlanDefinition`],
    });
  });

  test.each([
    ['a negative limit', { value: -6, unit: 'h', system: UCUM, code: 'h' }],
    ['a limit in months', { value: 1, unit: 'mo', system: UCUM, code: 'mo' }],
  ])(
    'the server does not apply the extension definition: %s passes $validate and is written; the bot uses 48 h',
    async (_name, duration) => {
      const extension = silenceLimit(duration);
      expect(failing(silenceLimitDefinition, extension)).toEqual(['rpm-ext-silence-1']);
      const malformed = exampleProgramme([extension]);
      expect(await validate(malformed)).toEqual({ status: 200, errors: [] });
      const created = await ctx.medplum.createResource(malformed);
      expect(created.extension).toEqual([extension]);
      expect(readDeviceRules(created).silenceLimitHours).toBe(48);
    }
  );
});
