// The rpm-alert rule this lifecycle needs (rpm-al-2): open alerts may carry acknowledgements and escalations.
import type { DetectedIssue } from '@medplum/fhirtypes';
import { beforeAll, describe, expect, test } from 'vitest';
import { registerProjectConformance } from '../fhir/conformance/testConformance.ts';
import { validateResourceDetailed } from '../fhir/conformance/validateResource.ts';
import { alertFor, alertProfileHasProposedRule } from './alertTestWorld.ts';
import type { AlertAction } from './alertCodes.ts';
import { buildMitigation, withMitigation } from './mitigation.ts';

function errors(alert: DetectedIssue): string[] {
  const report = validateResourceDetailed(alert);
  return [...report.baseIssues, ...report.profileIssues]
    .filter((i) => i.severity === 'error')
    .map((i) => i.details?.text ?? '');
}

function withActions(alert: DetectedIssue, ...actions: AlertAction[]): DetectedIssue {
  return actions.reduce(
    (current, action) =>
      withMitigation(
        current,
        buildMitigation({ alert: current, action, now: new Date('2025-03-10T10:00:00Z'), tasks: ['Task/t1'] })
      ),
    alert
  );
}

beforeAll(() => {
  registerProjectConformance();
});

describe('rpm-alert rpm-al-2: only a resolved alert must be closed', () => {
  const open = () => ({ ...alertFor('Patient/p1'), id: 'a1' });

  test('is the rule fhir/profiles/rpm-alert.json carries', () => {
    expect(alertProfileHasProposedRule()).toBe(true);
  });

  test('an open alert acknowledged and escalated is valid', () => {
    expect(errors(withActions(open(), 'escalated', 'acknowledged', 'escalated'))).toEqual([]);
  });

  test('a resolved alert is valid once final, and refused while preliminary', () => {
    const resolved = withActions(open(), 'acknowledged', 'resolved');
    expect(errors({ ...resolved, status: 'final' })).toEqual([]);
    expect(errors(resolved)).toEqual([expect.stringMatching(/^Constraint rpm-al-2 not met/)]);
  });

  test('the existing example (closed, uncoded mitigation) stays valid', () => {
    expect(errors({ ...open(), status: 'final', mitigation: [{ action: { text: 'Acknowledged: seen' } }] })).toEqual(
      []
    );
  });
});
