// Which levels are due when: the boundaries, acknowledgement (and a severity rise after it), closed alerts, levels done.
import type { DetectedIssue } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import { alertSeverity, type AlertSeverity } from './alertCodes.ts';
import { isAcknowledged } from './alertState.ts';
import { DEFAULT_ESCALATION_LEVELS, levelsForSeverity } from './defaultEscalationPolicy.ts';
import { dueEscalationLevels, escalationClockStart } from './dueLevels.ts';
import { buildMitigation, withMitigation } from './mitigation.ts';

const T0 = Date.parse('2025-03-10T09:30:00.000Z');
const at = (minutes: number, seconds = 0) => new Date(T0 + minutes * 60_000 + seconds * 1000);

function alert(severity: AlertSeverity = 'high', changes: Partial<DetectedIssue> = {}): DetectedIssue {
  return {
    resourceType: 'DetectedIssue',
    id: 'a1',
    status: 'preliminary',
    severity,
    patient: { reference: 'Patient/p' },
    identifiedDateTime: new Date(T0).toISOString(),
    ...changes,
  };
}

function due(issue: DetectedIssue, now: Date): string[] {
  const { levels } = levelsForSeverity(undefined, alertSeverity(issue));
  return dueEscalationLevels(issue, levels, now).map((l) => l.key);
}

function acknowledged(issue: DetectedIssue, minutes: number): DetectedIssue {
  return withMitigation(issue, buildMitigation({ alert: issue, action: 'acknowledged', now: at(minutes), tasks: [] }));
}

function escalatedTo(issue: DetectedIssue, levelKey: string): DetectedIssue {
  return withMitigation(issue, buildMitigation({ alert: issue, action: 'escalated', now: at(0), tasks: [], levelKey }));
}

describe('dueEscalationLevels (default policy)', () => {
  test('red: nothing at 14:59, on-call at 15:00, senior too at 30:00', () => {
    expect(due(alert(), at(14, 59))).toEqual([]);
    expect(due(alert(), at(15))).toEqual(['high-15min-on-call-clinician']);
    expect(due(alert(), at(29, 59))).toEqual(['high-15min-on-call-clinician']);
    expect(due(alert(), at(30))).toEqual(['high-15min-on-call-clinician', 'high-30min-senior-clinician']);
  });

  test('levels already carried out are not due again', () => {
    const once = escalatedTo(alert(), 'high-15min-on-call-clinician');
    expect(due(once, at(20))).toEqual([]);
    expect(due(once, at(30))).toEqual(['high-30min-senior-clinician']);
    expect(due(escalatedTo(once, 'high-30min-senior-clinician'), at(600))).toEqual([]);
  });

  test('amber at 60 and 120 min, low at 240 min', () => {
    expect(due(alert('moderate'), at(59, 59))).toEqual([]);
    expect(due(alert('moderate'), at(60))).toEqual(['moderate-60min-on-call-clinician']);
    expect(due(alert('moderate'), at(120))).toHaveLength(2);
    expect(due(alert('low'), at(239))).toEqual([]);
    expect(due(alert('low'), at(240))).toEqual(['low-240min-on-call-clinician']);
  });

  test('an alert acknowledged at its severity never escalates; closed alerts never do', () => {
    expect(due(acknowledged(alert(), 1), at(1000))).toEqual([]);
    expect(due(alert('high', { status: 'final' }), at(1000))).toEqual([]);
    expect(due(alert('high', { status: 'entered-in-error' }), at(1000))).toEqual([]);
  });

  test('acknowledged at amber, then raised to red: red levels count from the acknowledgement', () => {
    const amber = acknowledged(alert('moderate'), 40);
    expect(isAcknowledged(amber)).toBe(true);
    const red = { ...amber, severity: 'high' as const };
    expect(isAcknowledged(red)).toBe(false);
    expect(escalationClockStart(red)?.toISOString()).toBe(at(40).toISOString());
    expect(due(red, at(54, 59))).toEqual([]);
    expect(due(red, at(55))).toEqual(['high-15min-on-call-clinician']);
    expect(due(red, at(70))).toHaveLength(2);
  });

  test('an acknowledgement without the severity extension covers only low alerts (when in doubt, alert)', () => {
    const byHand: DetectedIssue = {
      ...alert(),
      mitigation: [
        {
          action: {
            coding: [{ system: 'http://rpm-platform.org/fhir/CodeSystem/rpm-alert-action', code: 'acknowledged' }],
          },
          date: at(1).toISOString(),
        },
      ],
    };
    expect(due(byHand, at(16))).toEqual(['high-15min-on-call-clinician']);
    expect(due({ ...byHand, severity: 'low' }, at(1000))).toEqual([]);
  });

  test('without identifiedDateTime the last update starts the clock; without severity the alert counts as red', () => {
    const noTime = alert('high', { identifiedDateTime: undefined, meta: { lastUpdated: at(5).toISOString() } });
    expect(due(noTime, at(19))).toEqual([]);
    expect(due(noTime, at(20))).toEqual(['high-15min-on-call-clinician']);
    expect(due(alert('high', { severity: undefined }), at(15))).toEqual(['high-15min-on-call-clinician']);
  });

  test('the default policy is the one documented', () => {
    expect(DEFAULT_ESCALATION_LEVELS.map((l) => l.key)).toEqual([
      'high-15min-on-call-clinician',
      'high-30min-senior-clinician',
      'moderate-60min-on-call-clinician',
      'moderate-120min-senior-clinician',
      'low-240min-on-call-clinician',
    ]);
  });
});
