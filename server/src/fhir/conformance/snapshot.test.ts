// The committed profile snapshots match their differentials, and the generator refuses what it cannot derive.
import { describe, expect, test } from 'vitest';
import type { ElementDefinition, StructureDefinition } from '@medplum/fhirtypes';
import { getBaseStructureDefinition, getDataTypeDefinition } from './baseDefinitions.ts';
import { readProfileFiles, withGeneratedSnapshot } from './profileSnapshots.ts';
import { generateSnapshot } from './snapshot.ts';

const VITALSIGNS = 'http://hl7.org/fhir/StructureDefinition/vitalsigns';

function profile(elements: ElementDefinition[]): StructureDefinition {
  return {
    resourceType: 'StructureDefinition',
    url: 'http://rpm-platform.org/fhir/StructureDefinition/test',
    baseDefinition: VITALSIGNS,
    type: 'Observation',
    differential: { element: elements },
  } as StructureDefinition;
}

function derive(sd: StructureDefinition) {
  return generateSnapshot(sd, getBaseStructureDefinition(VITALSIGNS) as StructureDefinition, getDataTypeDefinition);
}

describe('profile snapshots', () => {
  const files = readProfileFiles();

  test('fhir/profiles has at least the RPM vital-sign profile', () => {
    expect(files.map(([, sd]) => sd.url)).toContain('http://rpm-platform.org/fhir/StructureDefinition/rpm-vital-sign');
  });

  test.each(files.map(([file, sd]) => [file, sd] as const))(
    '%s is up to date (else run: ./node_modules/.bin/node server/src/fhir/conformance/profileSnapshots.ts)',
    (_file, sd) => {
      const byUrl = new Map(files.map(([, p]) => [p.url, p]));
      expect(sd.snapshot).toEqual(withGeneratedSnapshot(sd, byUrl).snapshot);
    }
  );

  test('unfolds a complex type and merges constraints, cardinality and bindings', () => {
    const elements = derive(
      profile([
        {
          id: 'Observation',
          path: 'Observation',
          constraint: [{ key: 'x-1', severity: 'error', human: 'x', expression: 'true' }],
        },
        { id: 'Observation.value[x]', path: 'Observation.value[x]', type: [{ code: 'Quantity' }] },
        { id: 'Observation.value[x].code', path: 'Observation.value[x].code', min: 1 },
      ])
    );
    const root = elements.find((e) => e.id === 'Observation');
    expect(root?.constraint?.map((c) => c.key)).toEqual(expect.arrayContaining(['vs-2', 'x-1']));
    expect(root?.constraint?.find((c) => c.key === 'x-1')?.source).toBe(
      'http://rpm-platform.org/fhir/StructureDefinition/test'
    );
    const ids = elements.map((e) => e.id);
    const valueIndex = ids.indexOf('Observation.value[x]');
    expect(ids.slice(valueIndex, valueIndex + 3)).toEqual([
      'Observation.value[x]',
      'Observation.value[x].id',
      'Observation.value[x].extension',
    ]);
    const code = elements.find((e) => e.id === 'Observation.value[x].code');
    expect(code).toMatchObject({ path: 'Observation.value[x].code', min: 1, max: '1', type: [{ code: 'code' }] });
  });

  test.each([
    ['widening min', { id: 'Observation.status', path: 'Observation.status', min: 0 }, /min 0 is below/],
    ['widening max', { id: 'Observation.subject', path: 'Observation.subject', max: '*' }, /max \* is above/],
    [
      'a type the base does not allow',
      { id: 'Observation.effective[x]', path: 'Observation.effective[x]', type: [{ code: 'string' }] },
      /type string/,
    ],
    ['an unknown element', { id: 'Observation.nope', path: 'Observation.nope' }, /no such child|Unknown element/],
    ['a new slice', { id: 'Observation.category:Other', path: 'Observation.category' }, /slices/],
    [
      'unfolding a choice of several types',
      { id: 'Observation.value[x].code', path: 'Observation.value[x].code' },
      /exactly one type/,
    ],
  ])('refuses %s', (_name, element, message) => {
    expect(() => derive(profile([element as ElementDefinition]))).toThrow(message);
  });
});
