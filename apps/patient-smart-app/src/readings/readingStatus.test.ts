// Readings for the patient: values in words, flags from alerts and interpretations, "seen" from acknowledged alerts.
import type { DetectedIssue, Observation } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import { manualObservations } from '../vitals/manualReading.ts';
import { vitalSign } from '../vitals/vitalSigns.ts';
import { seenAt, toReadings } from './readingStatus.ts';

const ACTION = 'http://rpm-platform.org/fhir/CodeSystem/rpm-alert-action';

function saved(observation: Observation, id: string): Observation {
  return { ...observation, id };
}

const spo2 = saved(
  manualObservations(
    vitalSign('spo2') ?? expect.fail(),
    { spo2: '86' },
    'Patient/p',
    new Date('2026-11-24T09:00:00Z')
  )[0],
  'o1'
);
const [panel] = manualObservations(
  vitalSign('blood-pressure') ?? expect.fail(),
  { systolic: '130', diastolic: '85' },
  'Patient/p',
  new Date('2026-11-24T08:00:00Z')
);

function alert(mitigation: DetectedIssue['mitigation']): DetectedIssue {
  return {
    resourceType: 'DetectedIssue',
    status: mitigation ? 'final' : 'preliminary',
    patient: { reference: 'Patient/p' },
    implicated: [{ reference: 'Observation/o1' }],
    ...(mitigation ? { mitigation } : {}),
  };
}

describe('toReadings', () => {
  test('values in words, newest first; an alert naming a reading flags it in words', () => {
    const readings = toReadings([saved(panel, 'o2'), spo2], [alert(undefined)]);
    expect(readings.map((r) => [r.id, r.text, r.flag, r.seenAt, r.enteredByHand])).toEqual([
      ['o1', '86 %', 'Your care team was told about this reading', undefined, true],
      ['o2', '130/85 mmHg', undefined, undefined, true],
    ]);
    expect(readings[1]).toMatchObject({ value: 130, value2: 85 });
  });

  test('an interpretation flags a reading even without an alert', () => {
    const high = { ...saved(panel, 'o3'), interpretation: [{ coding: [{ code: 'H' }] }] };
    expect(toReadings([high], [])[0].flag).toBe('Higher than it should be');
  });
});

describe('seenAt', () => {
  test('an acknowledgement or resolution by a person counts; the escalation schedule does not', () => {
    const byPerson = {
      action: { coding: [{ system: ACTION, code: 'acknowledged' }] },
      date: '2026-11-24T10:00:00Z',
      author: { reference: 'Practitioner/x' },
    };
    const bySchedule = { action: { coding: [{ system: ACTION, code: 'escalated' }] }, date: '2026-11-24T09:30:00Z' };
    expect(seenAt([alert([bySchedule])])).toBeUndefined();
    expect(seenAt([alert([bySchedule, byPerson])])).toBe('2026-11-24T10:00:00Z');
    expect(toReadings([spo2], [alert([byPerson])])[0].seenAt).toBe('2026-11-24T10:00:00Z');
  });
});
