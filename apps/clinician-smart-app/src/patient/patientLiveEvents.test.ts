// Live notifications for an open patient view: this patient's readings, alerts and messages; others ignored.
import type { Resource } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import { patientLiveChanges } from './patientLiveEvents.ts';

const reading = (patient: string): Resource => ({
  resourceType: 'Observation',
  status: 'final',
  code: {},
  subject: { reference: `Patient/${patient}` },
});
const alert = (patient: string): Resource => ({
  resourceType: 'DetectedIssue',
  status: 'preliminary',
  patient: { reference: `Patient/${patient}` },
});
const message = (patient: string, sender: string): Resource => ({
  resourceType: 'Communication',
  status: 'completed',
  subject: { reference: `Patient/${patient}` },
  sender: { reference: sender },
});

describe('patientLiveChanges', () => {
  test('a reading and an alert of this patient reload the record; the alert is the cue', () => {
    expect(patientLiveChanges([{ resource: reading('p1') }, { resource: alert('p1') }], 'p1')).toEqual({
      record: true,
      messages: false,
      cue: 'Alerts updated for this patient.',
    });
    expect(patientLiveChanges([{ resource: reading('p1') }], 'p1').cue).toBe('New reading for this patient.');
  });

  test('a message from the patient reloads the thread only; the clinician’s own message gives no cue', () => {
    expect(patientLiveChanges([{ resource: message('p1', 'Patient/p1') }], 'p1')).toEqual({
      record: false,
      messages: true,
      cue: 'New message from the patient.',
    });
    expect(patientLiveChanges([{ resource: message('p1', 'Practitioner/d') }], 'p1').cue).toBeUndefined();
  });

  test('a message marked as read (an update) reloads the thread without a cue', () => {
    const read = patientLiveChanges([{ resource: message('p1', 'Patient/p1'), method: 'PUT' }], 'p1');
    expect(read).toEqual({ record: false, messages: true });
    const created = patientLiveChanges([{ resource: message('p1', 'Patient/p1'), method: 'POST' }], 'p1');
    expect(created.cue).toBe('New message from the patient.');
  });

  test('other patients are ignored; a delete reloads everything', () => {
    expect(patientLiveChanges([{ resource: reading('p2') }, { resource: message('p2', 'Patient/p2') }], 'p1')).toEqual({
      record: false,
      messages: false,
    });
    expect(patientLiveChanges([{}], 'p1')).toMatchObject({ record: true, messages: true });
  });
});
