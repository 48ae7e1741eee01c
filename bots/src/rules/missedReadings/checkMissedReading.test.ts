// Missed readings: daily schedules in Europe/London across DST, grace periods, early and late readings, interval schedules.
import { describe, expect, test } from 'vitest';
import type { CarePlan } from '@medplum/fhirtypes';
import { readExample } from '../../testing/examples.ts';
import { checkMissedReading } from './checkMissedReading.ts';
import { readActivitySchedule, readTiming } from './readingSchedule.ts';
import type { ReadingSchedule } from './readingSchedule.ts';

const d = (iso: string): Date => new Date(iso);

function daily(times: string[], options: Partial<{ graceMinutes: number; activeFrom: string }> = {}): ReadingSchedule {
  return {
    codes: ['29463-7'],
    label: 'Weight',
    timeZone: 'Europe/London',
    graceMinutes: options.graceMinutes ?? 120,
    activeFrom: d(options.activeFrom ?? '2025-03-01T00:00:00Z'),
    kind: 'times-of-day',
    timesOfDay: times.map((t) => ({ hour: Number(t.slice(0, 2)), minute: Number(t.slice(3, 5)), second: 0 })),
  };
}

describe('daily at 09:00 Europe/London, grace 2 h', () => {
  const schedule = daily(['09:00']);

  test('a reading just before the due time counts for it', () => {
    const status = checkMissedReading(schedule, [d('2025-03-10T08:55:00Z')], d('2025-03-10T12:00:00Z'));
    expect(status).toMatchObject({ state: 'not-due', overdue: false, missedCount: 0 });
    expect(status.dueAt.toISOString()).toBe('2025-03-11T09:00:00.000Z');
  });

  test('a reading just after the due time counts for it', () => {
    const status = checkMissedReading(schedule, [d('2025-03-10T09:01:00Z')], d('2025-03-10T09:30:00Z'));
    expect(status.state).toBe('not-due');
  });

  test('no reading today: due within the grace period, overdue from due + 2 h exactly', () => {
    const yesterday = [d('2025-03-09T09:10:00Z')];
    const before = checkMissedReading(schedule, yesterday, d('2025-03-10T08:59:59Z'));
    expect(before.state).toBe('not-due');
    const inGrace = checkMissedReading(schedule, yesterday, d('2025-03-10T10:59:59Z'));
    expect(inGrace).toMatchObject({ state: 'due', overdue: false, missedCount: 0 });
    expect(inGrace.dueAt.toISOString()).toBe('2025-03-10T09:00:00.000Z');
    expect(inGrace.overdueSince?.toISOString()).toBe('2025-03-10T11:00:00.000Z');
    const overdue = checkMissedReading(schedule, yesterday, d('2025-03-10T11:00:00Z'));
    expect(overdue).toMatchObject({ state: 'overdue', overdue: true, missedCount: 1 });
    expect(overdue.explanation).toBe(
      'Weight: the reading due 10 Mar 2025, 09:00 (Europe/London) has not been received; overdue since ' +
        '10 Mar 2025, 11:00, 1 scheduled reading missed; last reading 9 Mar 2025, 09:10'
    );
  });

  test('an early reading counts from the midpoint since the previous due time (21:00 the evening before)', () => {
    const now = d('2025-03-10T12:00:00Z');
    expect(checkMissedReading(schedule, [d('2025-03-09T20:59:59Z')], now).state).toBe('overdue');
    expect(checkMissedReading(schedule, [d('2025-03-09T21:00:00Z')], now).state).toBe('not-due');
  });

  test('several days missed: due since the first missed day, each missed day counted', () => {
    const status = checkMissedReading(schedule, [d('2025-03-07T09:00:00Z')], d('2025-03-10T12:00:00Z'));
    expect(status).toMatchObject({ state: 'overdue', missedCount: 3 });
    expect(status.dueAt.toISOString()).toBe('2025-03-08T09:00:00.000Z');
    expect(status.overdueSince?.toISOString()).toBe('2025-03-08T11:00:00.000Z');
  });

  test('a late reading (after the grace) clears the overdue state', () => {
    const status = checkMissedReading(schedule, [d('2025-03-10T15:00:00Z')], d('2025-03-10T16:00:00Z'));
    expect(status.state).toBe('not-due');
  });

  test('readings may be given in any order; only the latest matters', () => {
    const times = [d('2025-03-10T08:50:00Z'), d('2025-03-01T09:00:00Z'), d('2025-03-05T09:00:00Z')];
    expect(checkMissedReading(schedule, times, d('2025-03-10T12:00:00Z')).state).toBe('not-due');
  });

  describe('across the daylight-saving changes', () => {
    test('spring: on 30 March 2025 09:00 is 08:00 UTC, overdue from 10:00 UTC', () => {
      const lastSaturday = [d('2025-03-29T09:05:00Z')];
      const due = checkMissedReading(schedule, lastSaturday, d('2025-03-30T08:30:00Z'));
      expect(due.state).toBe('due');
      expect(due.dueAt.toISOString()).toBe('2025-03-30T08:00:00.000Z');
      expect(due.overdueSince?.toISOString()).toBe('2025-03-30T10:00:00.000Z');
      expect(checkMissedReading(schedule, lastSaturday, d('2025-03-30T09:59:59Z')).state).toBe('due');
      expect(checkMissedReading(schedule, lastSaturday, d('2025-03-30T10:00:00Z')).state).toBe('overdue');
    });

    test('spring: a reading at 08:30 BST (07:30 UTC) on the change day is on time', () => {
      const status = checkMissedReading(schedule, [d('2025-03-30T07:30:00Z')], d('2025-03-30T12:00:00Z'));
      expect(status.state).toBe('not-due');
      expect(status.dueAt.toISOString()).toBe('2025-03-31T08:00:00.000Z');
    });

    test('autumn: on 26 October 2025 09:00 is 09:00 UTC again', () => {
      const schedule2 = daily(['09:00'], { activeFrom: '2025-10-01T00:00:00Z' });
      const lastSaturday = [d('2025-10-25T08:05:00Z')];
      const notYet = checkMissedReading(schedule2, lastSaturday, d('2025-10-26T08:30:00Z'));
      expect(notYet.state).toBe('not-due');
      expect(notYet.dueAt.toISOString()).toBe('2025-10-26T09:00:00.000Z');
      expect(checkMissedReading(schedule2, lastSaturday, d('2025-10-26T10:59:59Z')).state).toBe('due');
      expect(checkMissedReading(schedule2, lastSaturday, d('2025-10-26T11:00:00Z')).state).toBe('overdue');
    });
  });

  describe('enrolment (activeFrom)', () => {
    test('nothing is due before the first due time after enrolment', () => {
      const s = daily(['09:00'], { activeFrom: '2025-03-01T08:00:00Z' });
      const status = checkMissedReading(s, [], d('2025-03-01T08:30:00Z'));
      expect(status.state).toBe('not-due');
      expect(status.dueAt.toISOString()).toBe('2025-03-01T09:00:00.000Z');
      expect(status.explanation).toBe('Weight: next reading due 1 Mar 2025, 09:00 (Europe/London); no reading yet');
      const overdue = checkMissedReading(s, [], d('2025-03-01T11:30:00Z'));
      expect(overdue).toMatchObject({ state: 'overdue', missedCount: 1 });
    });

    test('enrolled after today’s due time: the first reading is due tomorrow', () => {
      const s = daily(['09:00'], { activeFrom: '2025-03-01T10:00:00Z' });
      const status = checkMissedReading(s, [], d('2025-03-01T23:00:00Z'));
      expect(status.state).toBe('not-due');
      expect(status.dueAt.toISOString()).toBe('2025-03-02T09:00:00.000Z');
    });
  });
});

describe('three times a day (08:00, 14:00, 20:00), grace 2 h', () => {
  const schedule = daily(['08:00', '14:00', '20:00']);

  test('a reading after the midpoint (11:00) counts for the 14:00 reading', () => {
    const status = checkMissedReading(schedule, [d('2025-03-10T12:00:00Z')], d('2025-03-10T14:30:00Z'));
    expect(status.state).toBe('not-due');
    expect(status.dueAt.toISOString()).toBe('2025-03-10T20:00:00.000Z');
  });

  test('a reading before the midpoint counts for 08:00 only: 14:00 is then due, overdue at 16:00', () => {
    const times = [d('2025-03-10T10:30:00Z')];
    const status = checkMissedReading(schedule, times, d('2025-03-10T14:30:00Z'));
    expect(status.state).toBe('due');
    expect(status.dueAt.toISOString()).toBe('2025-03-10T14:00:00.000Z');
    expect(checkMissedReading(schedule, times, d('2025-03-10T16:00:00Z')).state).toBe('overdue');
  });
});

describe('interval schedule (twice a day without set times), grace 1 h', () => {
  const schedule: ReadingSchedule = {
    ...daily([]),
    graceMinutes: 60,
    kind: 'interval',
    intervalMinutes: 720,
  };

  test('due one interval after the last reading, overdue one grace period later', () => {
    const last = [d('2025-03-10T06:00:00Z')];
    expect(checkMissedReading(schedule, last, d('2025-03-10T17:59:59Z')).state).toBe('not-due');
    const due = checkMissedReading(schedule, last, d('2025-03-10T18:00:00Z'));
    expect(due.state).toBe('due');
    expect(due.dueAt.toISOString()).toBe('2025-03-10T18:00:00.000Z');
    const overdue = checkMissedReading(schedule, last, d('2025-03-10T19:00:00Z'));
    expect(overdue).toMatchObject({ state: 'overdue', missedCount: 1 });
    expect(checkMissedReading(schedule, last, d('2025-03-11T07:00:00Z')).missedCount).toBe(2);
  });

  test('without readings, the first is due one interval after enrolment', () => {
    expect(checkMissedReading(schedule, [], d('2025-03-01T12:00:00Z')).dueAt.toISOString()).toBe(
      '2025-03-01T12:00:00.000Z'
    );
  });
});

describe('reading the schedule from a monitoring CarePlan', () => {
  test('the heart-failure example: weight daily at 09:00 Europe/London, grace 3 h', () => {
    const carePlan = readExample<CarePlan>('rpm-monitoring-careplan-heart-failure');
    const schedule = readActivitySchedule(carePlan, carePlan.activity![0]);
    expect(schedule).toEqual({
      codes: ['29463-7'],
      label: 'Weight',
      timeZone: 'Europe/London',
      graceMinutes: 180,
      activeFrom: d('2025-03-01T08:00:00Z'),
      kind: 'times-of-day',
      timesOfDay: [{ hour: 9, minute: 0, second: 0 }],
    });
  });

  test('unsupported or unusable activities give a reason instead', () => {
    const carePlan = readExample<CarePlan>('rpm-monitoring-careplan-heart-failure');
    const activity = carePlan.activity![0];
    const stopped = { detail: { ...activity.detail!, status: 'stopped' as const } };
    expect(readActivitySchedule(carePlan, stopped)).toBe('activity status stopped');
    expect(readActivitySchedule({ ...carePlan, period: { start: '2025-03-01' } }, activity)).toMatch(/period.start/);
    const zone = { ...carePlan, extension: [{ url: carePlan.extension![1].url, valueCode: 'Mars/Olympus' }] };
    expect(readActivitySchedule(zone, activity)).toBe('unknown time zone Mars/Olympus');
  });

  test.each([
    [{ repeat: { frequency: 1, period: 1, periodUnit: 'wk' as const, dayOfWeek: ['mon' as const] } }, /dayOfWeek/],
    [{ repeat: { timeOfDay: ['25:00:00'] } }, /not hh:mm/],
    [{ repeat: { timeOfDay: ['09:00:00'], period: 2, periodUnit: 'd' as const } }, /period of 1 day/],
    [{ repeat: { frequency: 2, period: 1, periodUnit: 'mo' as const } }, /frequency per period/],
    [{}, /no Timing.repeat/],
  ])('Timing %j is not supported', (timing, reason) => {
    expect(readTiming(timing)).toMatch(reason);
  });

  test('N per day without times is an interval schedule', () => {
    expect(readTiming({ repeat: { frequency: 3, period: 1, periodUnit: 'd' } })).toEqual({
      kind: 'interval',
      intervalMinutes: 480,
    });
  });
});
