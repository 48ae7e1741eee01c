// Live notifications → rows to reload and the cue: new alerts before updated alerts before readings; others ignored.
import type { DetectedIssue, Observation } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import { caseloadChangeCue, describeEvents } from './liveEvents.ts';
import { careTeamCriteria } from './useLiveUpdates.ts';
import type { WorklistRow } from './loadCaseload.ts';

function row(id: string, given: string): WorklistRow {
  return {
    patient: { resourceType: 'Patient', id, name: [{ given: [given], family: 'Ward' }] },
    acuity: { openAlerts: 0 },
  };
}

const rows = [row('a', 'Ruby'), row('b', 'Lowen')];

function alert(patientId: string): DetectedIssue {
  return { resourceType: 'DetectedIssue', status: 'preliminary', patient: { reference: `Patient/${patientId}` } };
}

function reading(patientId: string): Observation {
  return { resourceType: 'Observation', status: 'final', code: {}, subject: { reference: `Patient/${patientId}` } };
}

describe('describeEvents', () => {
  test('a reading then its alert: both rows of that patient reloaded once, the cue names the new alert', () => {
    const result = describeEvents(
      [
        { resource: reading('b'), method: 'POST' },
        { resource: alert('b'), method: 'POST' },
      ],
      rows
    );
    expect([...result.patientIds]).toEqual(['b']);
    expect(result.cue).toBe('New alert for Lowen Ward');
    expect(result.reloadAll).toBe(false);
  });

  test('an acknowledged alert (update) and a reading: "Alert updated"; a reading alone: "New reading"', () => {
    expect(describeEvents([{ resource: alert('a'), method: 'PUT' }, { resource: reading('b') }], rows).cue).toBe(
      'Alert updated for Ruby Ward'
    );
    expect(describeEvents([{ resource: reading('a'), method: 'POST' }], rows).cue).toBe('New reading for Ruby Ward');
  });

  test('patients not on the worklist are ignored; a delete (no resource) reloads everything', () => {
    const other = describeEvents([{ resource: alert('zzz'), method: 'POST' }], rows);
    expect(other.patientIds.size).toBe(0);
    expect(other.cue).toBeUndefined();
    expect(describeEvents([{ method: 'DELETE' }], rows).reloadAll).toBe(true);
  });
});

describe('caseloadChangeCue', () => {
  test('names who joined and who left the caseload; nothing when the same patients are on it', () => {
    expect(caseloadChangeCue(rows, [...rows, row('c', 'Ada')])).toBe('Added to your caseload: Ada Ward');
    expect(caseloadChangeCue(rows, [rows[1]])).toBe('No longer on your caseload: Ruby Ward');
    expect(caseloadChangeCue(rows, [rows[0], row('c', 'Ada')])).toBe(
      'Added to your caseload: Ada Ward. No longer on your caseload: Lowen Ward'
    );
    expect(caseloadChangeCue(rows, [rows[1], rows[0]])).toBeUndefined();
  });
});

describe('careTeamCriteria', () => {
  test("a Practitioner's own care teams; nothing for another user", () => {
    expect(careTeamCriteria('Practitioner/p1')).toEqual(['CareTeam?participant=Practitioner/p1']);
    expect(careTeamCriteria('Patient/x')).toEqual([]);
    expect(careTeamCriteria(undefined)).toEqual([]);
  });
});
