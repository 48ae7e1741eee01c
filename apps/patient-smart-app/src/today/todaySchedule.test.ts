// Today's tasks from a monitoring CarePlan: readings per day, done today on the server or on the phone, counted once.
import type { CarePlan, CarePlanActivityDetail, Observation } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import { newOutboxItem } from '../outbox/outboxItem.ts';
import { manualObservations } from '../vitals/manualReading.ts';
import { vitalSign } from '../vitals/vitalSigns.ts';
import { scheduleDay } from './scheduleDay.ts';
import { readingsPerDay, todayTasks } from './todaySchedule.ts';

const DAY = new Date('2026-11-24T00:00:00Z');

function activity(loinc: string, timing: Omit<CarePlanActivityDetail, 'code'>) {
  return { detail: { ...timing, code: { coding: [{ system: 'http://loinc.org', code: loinc }] } } };
}

const carePlan: CarePlan = {
  resourceType: 'CarePlan',
  status: 'active',
  intent: 'plan',
  subject: { reference: 'Patient/p' },
  activity: [
    activity('85354-9', { status: 'scheduled', scheduledTiming: { repeat: { timeOfDay: ['20:00:00', '08:00:00'] } } }),
    activity('2708-6', {
      status: 'scheduled',
      scheduledTiming: { repeat: { frequency: 1, period: 1, periodUnit: 'd' } },
    }),
    activity('29463-7', {
      status: 'cancelled',
      scheduledTiming: { repeat: { frequency: 1, period: 1, periodUnit: 'd' } },
    }),
  ],
};

function reading(key: string, typed: Record<string, string>, at: string, id?: string): Observation[] {
  return manualObservations(vitalSign(key) ?? expect.fail(key), typed, 'Patient/p', new Date(at)).map((o, i) => ({
    ...o,
    ...(id ? { id: `${id}-${i}` } : {}),
  }));
}

describe('todayTasks', () => {
  test('readings per day from times of day or a frequency', () => {
    expect(readingsPerDay({ repeat: { timeOfDay: ['20:00:00', '08:00:00'] } })).toEqual({
      count: 2,
      times: ['08:00', '20:00'],
    });
    expect(readingsPerDay({ repeat: { frequency: 1, period: 6, periodUnit: 'h' } })).toEqual({ count: 4, times: [] });
  });

  test('scheduled vital signs only (not cancelled ones); done counts today’s server and phone readings once', () => {
    const sentItem = newOutboxItem({
      id: 'u1',
      vital: 'blood-pressure',
      summary: '',
      observations: reading('blood-pressure', { systolic: '120', diastolic: '80' }, '2026-11-24T08:05:00Z'),
      takenAt: '2026-11-24T08:05:00Z',
      now: 0,
    });
    const onServer = sentItem.resources.map((o) => ({ ...o, id: 'server-1' }));
    const waitingItem = newOutboxItem({
      id: 'u2',
      vital: 'spo2',
      summary: '',
      observations: reading('spo2', { spo2: '95' }, '2026-11-24T09:00:00Z'),
      takenAt: '2026-11-24T09:00:00Z',
      now: 0,
    });
    const yesterday = reading('spo2', { spo2: '96' }, '2026-11-23T09:00:00Z', 'old');
    const tasks = todayTasks({
      carePlans: [carePlan],
      observations: [...onServer, ...yesterday],
      outbox: [{ ...sentItem, state: 'sent' }, waitingItem],
      dayStart: DAY,
    });
    expect(tasks.map((t) => [t.vital.key, t.timesToday, t.times, t.doneToday, t.waitingToday])).toEqual([
      ['blood-pressure', 2, ['08:00', '20:00'], 1, 0],
      ['spo2', 1, [], 1, 1],
    ]);
  });

  test('today is the schedule’s day in its time zone: London’s 25-hour day when the clocks go back, BST at midnight', () => {
    // 25 October 2026 in London (the clocks go back) ran from 23:00 UTC on the 24th to 00:00 UTC on the 26th.
    const autumn = scheduleDay(new Date('2026-10-25T23:30:00Z'), 'Europe/London');
    const spo2At = (at: string, id: string) => reading('spo2', { spo2: '95' }, at, id);
    const count = (day: { start: Date; end: Date }, at: string) =>
      todayTasks({
        carePlans: [carePlan],
        observations: spo2At(at, 'r'),
        outbox: [],
        dayStart: day.start,
        dayEnd: day.end,
      }).find((t) => t.vital.key === 'spo2')?.doneToday;
    expect(count(autumn, '2026-10-25T23:59:00Z')).toBe(1); // 23:59 GMT, the 25th hour
    expect(count(autumn, '2026-10-24T22:59:00Z')).toBe(0); // 23:59 BST on the 24th
    // In summer a reading at 23:30 UTC is the next day in London: not today's on 1 July.
    const summer = scheduleDay(new Date('2026-07-01T12:00:00Z'), 'Europe/London');
    expect(count(summer, '2026-07-01T22:30:00Z')).toBe(1);
    expect(count(summer, '2026-07-01T23:30:00Z')).toBe(0);
  });
});
