// The examples and what the builders produce validate against the project's profiles with the server's own validator.
import { beforeAll, describe, expect, test } from 'vitest';
import type { DetectedIssue, Observation, Resource } from '@medplum/fhirtypes';
import { registerProjectConformance } from '../../../server/src/fhir/conformance/testConformance.ts';
import { validateResourceDetailed } from '../../../server/src/fhir/conformance/validateResource.ts';
import { buildAlert } from '../alerts/buildAlert.ts';
import { buildNews2Observation } from '../rules/news2/buildNews2Observation.ts';
import { completeNews2Inputs } from '../rules/news2/completeNews2Inputs.ts';
import { scoreNews2 } from '../rules/news2/scoreNews2.ts';
import { exampleNames, readExample } from '../testing/examples.ts';
import {
  acvpu,
  bloodPressure,
  oxygenFlow,
  PATIENT_REFERENCE,
  pulse,
  respiratoryRate,
  spo2,
  temperature,
} from '../testing/observations.ts';

/** Error texts, base definition and profiles together. */
function errors(resource: Resource): string[] {
  const report = validateResourceDetailed(resource);
  expect(report.unknownProfiles).toEqual([]);
  return [...report.baseIssues, ...report.profileIssues]
    .filter((i) => i.severity === 'error')
    .map((i) => i.details?.text ?? '');
}

function alert(changes: Partial<DetectedIssue> = {}): DetectedIssue {
  return {
    ...buildAlert({
      patient: { reference: PATIENT_REFERENCE },
      rule: 'vital-sign-threshold',
      qualifier: '2708-6',
      severity: 'high',
      observations: [spo2(84, '2025-03-01T09:00:00Z', { id: 'spo2-1' })],
      explanation: 'SpO2 84 % is below the red limit of 85 %',
      programme: 'http://rpm-platform.org/fhir/PlanDefinition/respiratory-virtual-ward',
      identified: new Date('2025-03-01T09:00:05Z'),
    }),
    ...changes,
  };
}

beforeAll(() => {
  registerProjectConformance();
});

describe('examples', () => {
  test.each(exampleNames())('%s is valid', (name) => {
    expect(errors(readExample(name))).toEqual([]);
  });
});

describe('built resources', () => {
  test('an alert from buildAlert is a valid rpm-alert', () => {
    expect(errors(alert())).toEqual([]);
  });

  test('a missed-reading alert (no readings) is valid', () => {
    const missed = buildAlert({
      patient: { reference: PATIENT_REFERENCE },
      rule: 'missed-reading',
      qualifier: '29463-7',
      severity: 'low',
      observations: [],
      explanation: 'Weight: overdue',
      identified: new Date('2025-03-01T12:00:00Z'),
    });
    expect(errors(missed)).toEqual([]);
  });

  test('the NEWS2 Observation is a valid R4 Observation', () => {
    const selection = completeNews2Inputs(
      [
        respiratoryRate(18, '2025-03-01T09:00:00Z'),
        spo2(95, '2025-03-01T09:01:00Z'),
        oxygenFlow(0, '2025-03-01T09:01:00Z'),
        bloodPressure(118, 76, '2025-03-01T09:02:00Z'),
        pulse(88, '2025-03-01T09:03:00Z'),
        acvpu('C', '2025-03-01T09:04:00Z'),
        temperature(37.2, '2025-03-01T09:06:00Z'),
      ],
      { windowMinutes: 60 }
    );
    if (!selection.complete) throw new Error('expected a complete set');
    const news2: Observation = buildNews2Observation(
      { reference: PATIENT_REFERENCE },
      scoreNews2(selection.inputs),
      selection.observations
    );
    expect(errors(news2)).toEqual([]);
  });
});

describe('the rpm-alert profile refuses', () => {
  test.each([
    [
      'an open alert with a resolved mitigation',
      {
        mitigation: [
          {
            action: {
              coding: [{ system: 'http://rpm-platform.org/fhir/CodeSystem/rpm-alert-action', code: 'resolved' }],
            },
          },
        ],
      },
      /rpm-al-2/,
    ],
    ['an alert without its clinical source', { extension: [] }, /rpm-al-1/],
    [
      'an identifier of another patient',
      {
        identifier: [
          { system: 'http://rpm-platform.org/fhir/identifier/alert', value: 'vital-sign-threshold:Patient/x' },
        ],
      },
      /rpm-al-3/,
    ],
    [
      'a rule code that is not in the rule value set',
      { code: { coding: [{ system: 'http://rpm-platform.org/fhir/CodeSystem/rpm-alert-rule', code: 'made-up' }] } },
      /required value set/,
    ],
    ['an alert without severity', { severity: undefined }, /Missing required property/],
  ])('%s', (_name, changes, message) => {
    expect(errors(alert(changes as Partial<DetectedIssue>)).join('\n')).toMatch(message);
  });
});
