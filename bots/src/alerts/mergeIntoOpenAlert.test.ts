// Merging a breach into the open alert: implicated readings added, severity only raised, first time kept, idempotent.
import { describe, expect, test } from 'vitest';
import type { DetectedIssue } from '@medplum/fhirtypes';
import { PATIENT_REFERENCE, spo2 } from '../testing/observations.ts';
import { buildAlert } from './buildAlert.ts';
import type { AlertBreach, AlertSeverity } from './buildAlert.ts';
import { mergeIntoOpenAlert } from './mergeIntoOpenAlert.ts';

function breach(id: string, severity: AlertSeverity, minute: number, changes: Partial<AlertBreach> = {}) {
  return buildAlert({
    patient: { reference: PATIENT_REFERENCE },
    rule: 'vital-sign-threshold',
    qualifier: '2708-6',
    severity,
    observations: [spo2(90, `2025-03-01T09:${String(minute).padStart(2, '0')}:00Z`, { id })],
    explanation: `reading ${id} (${severity})`,
    identified: new Date(`2025-03-01T09:${String(minute).padStart(2, '0')}:30Z`),
    ...changes,
  });
}

function stored(alert: DetectedIssue): DetectedIssue {
  return { ...alert, id: 'alert-1', meta: { ...alert.meta, versionId: '1' } };
}

describe('mergeIntoOpenAlert', () => {
  test('adds the new reading, keeps the first identified time and the id', () => {
    const open = stored(breach('a', 'moderate', 0));
    const { alert, changed } = mergeIntoOpenAlert(open, breach('b', 'moderate', 10));
    expect(changed).toBe(true);
    expect(alert.id).toBe('alert-1');
    expect(alert.identifiedDateTime).toBe('2025-03-01T09:00:30.000Z');
    expect(alert.implicated?.map((r) => r.reference)).toEqual(['Observation/a', 'Observation/b']);
    expect(alert.evidence?.map((e) => e.code?.[0].text)).toEqual(['reading a (moderate)', 'reading b (moderate)']);
    expect(alert.detail).toBe('reading b (moderate)');
  });

  test('raises the severity for a more severe breach', () => {
    const { alert } = mergeIntoOpenAlert(stored(breach('a', 'moderate', 0)), breach('b', 'high', 10));
    expect(alert.severity).toBe('high');
    expect(alert.detail).toBe('reading b (high)');
  });

  test('never lowers the severity: a milder breach is added as evidence, the detail stays', () => {
    const { alert, changed } = mergeIntoOpenAlert(stored(breach('a', 'high', 0)), breach('b', 'moderate', 10));
    expect(changed).toBe(true);
    expect(alert.severity).toBe('high');
    expect(alert.detail).toBe('reading a (high)');
    expect(alert.implicated?.map((r) => r.reference)).toEqual(['Observation/a', 'Observation/b']);
  });

  test('the same Observation processed twice changes nothing', () => {
    const open = stored(breach('a', 'moderate', 0));
    const again = breach('a', 'moderate', 0, { identified: new Date('2025-03-01T12:00:00Z') });
    expect(mergeIntoOpenAlert(open, again)).toEqual({ alert: open, changed: false });
    const merged = mergeIntoOpenAlert(open, breach('b', 'moderate', 10)).alert;
    expect(mergeIntoOpenAlert(merged, breach('b', 'moderate', 10)).changed).toBe(false);
    expect(mergeIntoOpenAlert(merged, breach('a', 'moderate', 0)).changed).toBe(false);
  });

  test('the same Observation re-evaluated as more severe raises the severity', () => {
    const { alert, changed } = mergeIntoOpenAlert(stored(breach('a', 'moderate', 0)), breach('a', 'high', 0));
    expect(changed).toBe(true);
    expect(alert.severity).toBe('high');
    expect(alert.implicated).toHaveLength(1);
  });

  test('breaches without readings (missed readings) merge on their text', () => {
    const missed = (text: string) =>
      buildAlert({
        patient: { reference: PATIENT_REFERENCE },
        rule: 'missed-reading',
        qualifier: '29463-7',
        severity: 'low',
        observations: [],
        explanation: text,
        identified: new Date('2025-03-02T11:00:00Z'),
      });
    const open = stored(missed('1 scheduled reading missed'));
    expect(mergeIntoOpenAlert(open, missed('1 scheduled reading missed')).changed).toBe(false);
    const { alert } = mergeIntoOpenAlert(open, missed('2 scheduled readings missed'));
    expect(alert.detail).toBe('2 scheduled readings missed');
    expect(alert.evidence).toHaveLength(2);
  });

  test('refuses a closed alert or a breach of another rule or patient', () => {
    const open = stored(breach('a', 'moderate', 0));
    expect(() => mergeIntoOpenAlert({ ...open, status: 'final' }, breach('b', 'high', 1))).toThrow(/preliminary/);
    const other = breach('b', 'high', 1, { patient: { reference: 'Patient/other' } });
    expect(() => mergeIntoOpenAlert(open, other)).toThrow(/does not belong/);
  });
});
