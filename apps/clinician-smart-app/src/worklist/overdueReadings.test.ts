// Overdue readings on the worklist: the CarePlan's daily times, grace period and time zone against the readings.
import type { CarePlan, Observation } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import { overdueReadings } from './overdueReadings.ts';

const activity = (code: string, text: string, times: string[]) => ({
  detail: {
    code: { coding: [{ system: 'http://loinc.org', code }], text },
    status: 'in-progress' as const,
    scheduledTiming: { repeat: { frequency: times.length, period: 1, periodUnit: 'd' as const, timeOfDay: times } },
    extension: [
      {
        url: 'http://rpm-platform.org/fhir/StructureDefinition/rpm-reading-grace-period',
        valueDuration: { value: 2, unit: 'h', system: 'http://unitsofmeasure.org', code: 'h' },
      },
    ],
  },
});

const plan: CarePlan = {
  resourceType: 'CarePlan',
  status: 'active',
  intent: 'plan',
  subject: { reference: 'Patient/p' },
  period: { start: '2026-01-01T00:00:00Z' },
  extension: [{ url: 'http://rpm-platform.org/fhir/StructureDefinition/rpm-schedule-time-zone', valueCode: 'UTC' }],
  activity: [
    activity('29463-7', 'Weight', ['09:00:00']),
    activity('8867-4', 'Pulse', ['09:00:00', '21:00:00']),
    { detail: { status: 'in-progress', code: { text: 'Symptom check-in' } } },
  ],
};

const reading = (code: string, time: string): Observation => ({
  resourceType: 'Observation',
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code }] },
  effectiveDateTime: time,
});

describe('overdueReadings', () => {
  test('before the grace period ends nothing is overdue; after it, what has no reading is', () => {
    const readings = [reading('29463-7', '2026-02-09T09:10:00Z'), reading('8867-4', '2026-02-10T08:45:00Z')];
    expect(overdueReadings([plan], readings, new Date('2026-02-10T10:30:00Z'))).toEqual({
      scheduled: 2,
      overdue: [],
    });
    expect(overdueReadings([plan], readings, new Date('2026-02-10T11:30:00Z')).overdue).toEqual(['Weight']);
    // 21:00 pulse slot not met by the morning reading, once its grace has passed.
    expect(overdueReadings([plan], readings, new Date('2026-02-10T23:30:00Z')).overdue).toEqual(['Weight', 'Pulse']);
  });

  test('never a reading: overdue from the start of the plan', () => {
    expect(overdueReadings([plan], [], new Date('2026-02-10T08:00:00Z')).overdue).toEqual(['Weight', 'Pulse']);
  });

  test('no schedule: nothing to be overdue', () => {
    expect(overdueReadings([{ ...plan, activity: [] }], [], new Date())).toEqual({ scheduled: 0, overdue: [] });
  });
});
