// Validation against a profile parsed once gives what @medplum/core's own profile validation gives, for every example.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { OperationOutcomeError, validateResource } from '@medplum/core';
import type { TypedValueWithPath } from '@medplum/core';
import type { Observation, OperationOutcomeIssue, Resource, StructureDefinition } from '@medplum/fhirtypes';
import { beforeAll, describe, expect, test } from 'vitest';
import { REPO_ROOT } from '../../config.ts';
import { validateAgainstProfile } from './profileValidation.ts';
import { getProfile } from './registry.ts';
import { readExample, registerProjectConformance, RPM_VITAL_SIGN } from './testConformance.ts';

beforeAll(() => registerProjectConformance());

type Result = { issues: OperationOutcomeIssue[]; tokens: string[] } | { thrown: OperationOutcomeIssue[] };

function outcomeOf(run: (tokens: Record<string, TypedValueWithPath[]>) => OperationOutcomeIssue[]): Result {
  const tokens: Record<string, TypedValueWithPath[]> = {};
  try {
    const issues = run(tokens);
    return { issues, tokens: Object.entries(tokens).map(([p, v]) => `${p}=${JSON.stringify(v.map((t) => t.value))}`) };
  } catch (err) {
    expect(err).toBeInstanceOf(OperationOutcomeError);
    return { thrown: (err as OperationOutcomeError).outcome.issue ?? [] };
  }
}

const viaCore = (r: Resource, profile: StructureDefinition): Result =>
  outcomeOf((tokens) => validateResource(r, { profile, collect: { tokens } }));
const viaParsedOnce = (r: Resource, profile: StructureDefinition): Result =>
  outcomeOf((tokens) => validateAgainstProfile(r, profile, tokens));

/** Each example, and variants that break it in the ways clients do. */
function variants(example: Resource): Resource[] {
  const r = example as Resource & Record<string, unknown>;
  return [
    r,
    { ...r, status: undefined },
    { ...r, subject: undefined },
    { ...r, code: { text: 'free text only' } },
    { ...r, unknownProperty: 1 },
    { ...r, extension: [{ url: 'http://example.org/no-value' }] },
    { ...r, extension: undefined },
    { ...r, valueQuantity: undefined, valueString: 'high' },
    { ...r, effectiveDateTime: undefined, effectivePeriod: { start: '2026-01-01' } },
    { ...r, component: [{ code: { text: 'c' }, valueString: 'x' }] },
    { ...r, identifier: [{ system: 'http://rpm-platform.org/fhir/identifier/alert', value: 'not-the-pattern' }] },
    { ...r, modifierExtension: [{ url: 'http://example.org/modifier', valueString: 'y' }] },
    { ...r, contained: [{ resourceType: 'Patient', id: 'unreferenced' }] },
  ] as Resource[];
}

const examplesDir = path.join(REPO_ROOT, 'fhir', 'profiles', 'examples');
/** The examples that claim a profile (the others show resources used without one). */
const examples = readdirSync(examplesDir)
  .map((file) => [file, JSON.parse(readFileSync(path.join(examplesDir, file), 'utf8')) as Resource] as const)
  .filter(([, example]) => example.meta?.profile?.length);

test('the examples include profiled ones', () => expect(examples.length).toBeGreaterThanOrEqual(8));

describe('a profile parsed once validates like @medplum/core parsing it each time', () => {
  test.each(examples)('%s and its variants: same issues, same collected tokens', (_file, example) => {
    let rejected = 0;
    for (const url of example.meta?.profile ?? []) {
      const profile = getProfile(url) as StructureDefinition;
      expect(profile, url).toBeDefined();
      for (const variant of variants(example)) {
        const expected = viaCore(variant, profile);
        expect(viaParsedOnce(variant, profile)).toEqual(expected);
        rejected += 'thrown' in expected ? 1 : 0;
      }
    }
    // The variants do break the profile: the comparison covers rejections, not only acceptances.
    expect(rejected).toBeGreaterThan(0);
  });

  test('a new version of a profile is used from its first validation on', () => {
    const profile = getProfile(RPM_VITAL_SIGN) as StructureDefinition;
    const reading = readExample('heart-rate');
    expect(viaParsedOnce(reading, profile)).toEqual(viaCore(reading, profile));
    // The same URL with one more invariant on the root, as a re-registered profile would carry.
    const stricter = structuredClone(profile);
    stricter.snapshot?.element?.[0].constraint?.push({
      key: 'test-1',
      severity: 'error',
      human: 'Test: a note is required',
      expression: 'note.exists()',
    });
    const result = viaParsedOnce(reading, stricter);
    expect(result).toEqual(viaCore(reading, stricter));
    expect('thrown' in result && result.thrown.map((i) => i.details?.text)).toContain(
      'Constraint test-1 not met: Test: a note is required'
    );
    expect(viaParsedOnce(reading, profile)).toEqual({ issues: [], tokens: expect.any(Array) });
  });

  test("a profile's narrowed types never leak into the base definition", () => {
    const profile = getProfile(RPM_VITAL_SIGN) as StructureDefinition;
    const { meta: _meta, ...text } = { ...readExample('heart-rate'), valueQuantity: undefined, valueString: 'high' };
    expect('thrown' in viaParsedOnce(text as Observation, profile)).toBe(true);
    // The base Observation still allows value[x] as a string (a warning at most).
    expect(validateResource(text as Observation).filter((i) => i.severity === 'error')).toEqual([]);
  });
});
