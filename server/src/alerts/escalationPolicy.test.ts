// Reading escalation policies: valid and invalid levels, defaults per severity, the profile's FHIRPath rules, the examples.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { deepClone, evalFhirPathTyped } from '@medplum/core';
import type { Extension, PlanDefinition, StructureDefinition } from '@medplum/fhirtypes';
import { beforeAll, describe, expect, test } from 'vitest';
import { REPO_ROOT } from '../config.ts';
import { registerProjectConformance } from '../fhir/conformance/testConformance.ts';
import { validateResourceDetailed } from '../fhir/conformance/validateResource.ts';
import { EXTENSIONS } from './alertCodes.ts';
import { DEFAULT_ESCALATION_LEVELS, levelsForSeverity } from './defaultEscalationPolicy.ts';
import { escalationPolicyExtension, readEscalationPolicy } from './escalationPolicy.ts';
import { EXAMPLE_PROGRAMME_POLICY } from './programmePolicyExamples.ts';

const ROLE = 'http://rpm-platform.org/fhir/CodeSystem/rpm-escalation-role';
const PROGRAMMES = ['heart-failure', 'respiratory-virtual-ward'];

function readJson<T>(...parts: string[]): T {
  return JSON.parse(readFileSync(path.join(REPO_ROOT, ...parts), 'utf8')) as T;
}

function level(severity: string, after: object, target: object): Extension {
  return {
    url: 'level',
    extension: [
      { url: 'severity', valueCode: severity },
      { url: 'after', valueDuration: { system: 'http://unitsofmeasure.org', ...after } },
      { url: 'target', ...target },
    ],
  };
}

const onCall = { valueCodeableConcept: { coding: [{ system: ROLE, code: 'on-call-clinician' }] } };

function plan(...levels: Extension[]): PlanDefinition {
  return {
    resourceType: 'PlanDefinition',
    status: 'draft',
    url: 'http://example.org/p',
    extension: [{ url: EXTENSIONS.escalationPolicy, extension: levels }],
  };
}

beforeAll(() => {
  registerProjectConformance();
});

describe('readEscalationPolicy', () => {
  test('reads levels (min or h, role or reference), sorted by severity then delay, keyed', () => {
    const policy = readEscalationPolicy(
      plan(
        level('moderate', { value: 1, code: 'h' }, { valueReference: { reference: 'CareTeam/ward-team' } }),
        level('high', { value: 10, code: 'min' }, onCall),
        level('high', { value: 5, code: 'min' }, { valueReference: { reference: 'Practitioner/p1' } })
      )
    );
    expect(policy?.issues).toEqual([]);
    expect(policy?.levels.map((l) => [l.key, l.afterMinutes])).toEqual([
      ['high-5min-Practitioner/p1', 5],
      ['high-10min-on-call-clinician', 10],
      ['moderate-60min-CareTeam/ward-team', 60],
    ]);
    expect(policy?.levels[1].target).toEqual({ role: { system: ROLE, code: 'on-call-clinician' } });
  });

  test('no extension: undefined (the defaults apply to every severity)', () => {
    expect(readEscalationPolicy({ resourceType: 'PlanDefinition', status: 'draft' })).toBeUndefined();
    expect(levelsForSeverity(undefined, 'high')).toEqual({
      levels: DEFAULT_ESCALATION_LEVELS.filter((l) => l.severity === 'high'),
      source: 'default',
    });
  });

  test('invalid levels are left out and reported; their severity keeps the defaults', () => {
    const policy = readEscalationPolicy(
      plan(
        level('urgent', { value: 5, code: 'min' }, onCall),
        level('moderate', { value: 25, code: 'h' }, onCall),
        level('moderate', { value: -1, code: 'min' }, onCall),
        level('moderate', { value: 5, code: 's' }, onCall),
        {
          url: 'level',
          extension: [
            { url: 'severity', valueCode: 'moderate' },
            { url: 'after', valueDuration: { value: 5, code: 'min' } },
            { url: 'target', ...onCall },
          ],
        },
        level('moderate', { value: 5, code: 'min' }, { valueReference: { reference: 'Patient/1' } }),
        level('moderate', { value: 5, code: 'min' }, { valueCodeableConcept: { text: 'the on-call doctor' } }),
        { url: 'level', extension: [{ url: 'severity', valueCode: 'low' }] },
        { url: 'colour', valueString: 'red' },
        level('low', { value: 30, code: 'min' }, onCall)
      )
    );
    expect(policy?.levels.map((l) => l.key)).toEqual(['low-30min-on-call-clinician']);
    expect(policy?.issues).toEqual([
      "level 1: 'severity' must be high, moderate or low; level ignored",
      "level 2: 'after' must be at most 24 h; level ignored",
      "level 3: 'after' must be a Duration with a value of 0 or more; level ignored",
      "level 4: 'after' must be in min or h; level ignored",
      "level 5: 'after' must be a UCUM Duration (system http://unitsofmeasure.org); level ignored",
      "level 6: 'target' must be a role of rpm-escalation-role or a reference to a Practitioner, PractitionerRole or CareTeam; level ignored",
      "level 7: 'target' must be a role of rpm-escalation-role or a reference to a Practitioner, PractitionerRole or CareTeam; level ignored",
      "level 8: a level needs exactly one 'severity', one 'after' and one 'target'; level ignored",
      "unknown sub-extension 'colour' ignored",
    ]);
    expect(levelsForSeverity(policy?.levels, 'low').source).toBe('programme');
    expect(levelsForSeverity(policy?.levels, 'moderate')).toEqual({
      levels: DEFAULT_ESCALATION_LEVELS.filter((l) => l.severity === 'moderate'),
      source: 'default',
    });
  });

  test('escalationPolicyExtension writes what readEscalationPolicy reads', () => {
    const extension = escalationPolicyExtension(DEFAULT_ESCALATION_LEVELS, 'defaults');
    const read = readEscalationPolicy({ resourceType: 'PlanDefinition', status: 'draft', extension: [extension] });
    expect(read).toEqual({ levels: [...DEFAULT_ESCALATION_LEVELS], issues: [] });
  });
});

describe('the rpm-escalation-policy profile', () => {
  const profile = readJson<StructureDefinition>('fhir', 'profiles', 'rpm-escalation-policy.json');
  const rules = (profile.snapshot?.element?.[0].constraint ?? []).filter((c) => c.key?.startsWith('rpm-ep-'));

  function failing(extension: Extension): string[] {
    return rules
      .filter((rule) => {
        const [result] = evalFhirPathTyped(rule.expression as string, [{ type: 'Extension', value: extension }], {});
        return result?.value !== true;
      })
      .map((rule) => rule.key as string);
  }

  test('its FHIRPath rules accept the example policy and escalationPolicyExtension output', () => {
    expect(rules.map((r) => r.key)).toEqual(['rpm-ep-1', 'rpm-ep-2', 'rpm-ep-3', 'rpm-ep-4', 'rpm-ep-5']);
    expect(failing(EXAMPLE_PROGRAMME_POLICY)).toEqual([]);
    expect(failing(escalationPolicyExtension(DEFAULT_ESCALATION_LEVELS))).toEqual([]);
  });

  test.each([
    ['no level', { url: EXTENSIONS.escalationPolicy, extension: [] }, ['rpm-ep-1']],
    [
      'another sub-extension',
      { ...EXAMPLE_PROGRAMME_POLICY, extension: [{ url: 'x', valueString: 'y' }] },
      ['rpm-ep-1'],
    ],
    [
      'a level without target',
      plan({ url: 'level', extension: [{ url: 'severity', valueCode: 'low' }] }),
      ['rpm-ep-2'],
    ],
    ['an unknown severity', plan(level('urgent', { value: 5, code: 'min' }, onCall)), ['rpm-ep-3']],
    ['more than 24 h', plan(level('low', { value: 25, code: 'h' }, onCall)), ['rpm-ep-4']],
    ['seconds', plan(level('low', { value: 5, code: 's' }, onCall)), ['rpm-ep-4']],
    [
      'a Duration without the UCUM system',
      plan({
        url: 'level',
        extension: [
          { url: 'severity', valueCode: 'low' },
          { url: 'after', valueDuration: { value: 5, code: 'min' } },
          { url: 'target', ...onCall },
        ],
      }),
      ['rpm-ep-4'],
    ],
    [
      'a Patient target',
      plan(level('low', { value: 5, code: 'min' }, { valueReference: { reference: 'Patient/1' } })),
      ['rpm-ep-5'],
    ],
  ])('refuses %s, as readEscalationPolicy does', (_name, input, keys) => {
    const extension = 'resourceType' in input ? ((input as PlanDefinition).extension?.[0] as Extension) : input;
    expect(failing(extension)).toEqual(keys);
    const read = readEscalationPolicy({ resourceType: 'PlanDefinition', status: 'draft', extension: [extension] });
    expect(read?.levels).toEqual([]);
  });
});

describe('the example programmes', () => {
  test.each(PROGRAMMES)(
    '%s with the proposed policy is a valid rpm-threshold-programme with the intended levels',
    (name) => {
      const programme = readJson<PlanDefinition>(
        'fhir',
        'profiles',
        'examples',
        `rpm-threshold-programme-${name}.json`
      );
      const others = (programme.extension ?? []).filter((e) => e.url !== EXTENSIONS.escalationPolicy);
      const withPolicy = { ...deepClone(programme), extension: [...others, EXAMPLE_PROGRAMME_POLICY] };
      const report = validateResourceDetailed(withPolicy);
      expect([...report.baseIssues, ...report.profileIssues].filter((i) => i.severity === 'error')).toEqual([]);
      const read = readEscalationPolicy(withPolicy);
      expect(read?.issues).toEqual([]);
      expect(read?.levels.map((l) => l.key)).toEqual(DEFAULT_ESCALATION_LEVELS.map((l) => l.key));
    }
  );

  test.each(PROGRAMMES)('%s, if it already carries a policy, carries the proposed one', (name) => {
    const programme = readJson<PlanDefinition>('fhir', 'profiles', 'examples', `rpm-threshold-programme-${name}.json`);
    const policy = programme.extension?.find((e) => e.url === EXTENSIONS.escalationPolicy);
    if (policy) {
      expect(policy).toEqual(EXAMPLE_PROGRAMME_POLICY);
    }
  });
});
