// The schedule's day and due times in its own time zone: around midnight, at the DST changes, and for a phone abroad.
import type { CarePlan } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import {
  DEFAULT_TIME_ZONE,
  SCHEDULE_TIME_ZONE_URL,
  dueTimeText,
  scheduleDay,
  scheduleTimeZone,
  zonedInstant,
} from './scheduleDay.ts';

const LONDON = 'Europe/London';

function plan(zone: string | undefined, status: CarePlan['status'] = 'active'): CarePlan {
  return {
    resourceType: 'CarePlan',
    status,
    intent: 'plan',
    subject: { reference: 'Patient/p' },
    ...(zone ? { extension: [{ url: SCHEDULE_TIME_ZONE_URL, valueCode: zone }] } : {}),
  };
}

function iso(day: { start: Date; end: Date }): [string, string] {
  return [day.start.toISOString(), day.end.toISOString()];
}

describe('scheduleTimeZone', () => {
  test('the active CarePlan’s zone; Europe/London without one, for an unknown one, or from an ended plan', () => {
    expect(scheduleTimeZone([plan('America/New_York')])).toBe('America/New_York');
    expect(scheduleTimeZone([plan(undefined)])).toBe(DEFAULT_TIME_ZONE);
    expect(scheduleTimeZone([])).toBe(LONDON);
    expect(scheduleTimeZone([plan('Mars/Olympus_Mons')])).toBe(LONDON);
    expect(scheduleTimeZone([plan('Asia/Tokyo', 'completed'), plan('Europe/Paris')])).toBe('Europe/Paris');
  });
});

describe('scheduleDay', () => {
  test('around midnight in summer: 23:30 UTC is already the next day in London (BST)', () => {
    const day = scheduleDay(new Date('2026-07-01T23:30:00Z'), LONDON);
    expect(day.date).toEqual({ year: 2026, month: 7, day: 2 });
    expect(iso(day)).toEqual(['2026-07-01T23:00:00.000Z', '2026-07-02T23:00:00.000Z']);
    // One minute before London's midnight it is still 1 July.
    expect(scheduleDay(new Date('2026-07-01T22:59:00Z'), LONDON).date.day).toBe(1);
  });

  test('in winter London is UTC: the day runs midnight to midnight UTC', () => {
    const day = scheduleDay(new Date('2026-11-24T00:30:00Z'), LONDON);
    expect(day.date).toEqual({ year: 2026, month: 11, day: 24 });
    expect(iso(day)).toEqual(['2026-11-24T00:00:00.000Z', '2026-11-25T00:00:00.000Z']);
  });

  test('the day the clocks go forward has 23 hours, the day they go back 25', () => {
    const spring = scheduleDay(new Date('2026-03-29T12:00:00Z'), LONDON);
    expect(iso(spring)).toEqual(['2026-03-29T00:00:00.000Z', '2026-03-29T23:00:00.000Z']);
    const autumn = scheduleDay(new Date('2026-10-25T12:00:00Z'), LONDON);
    expect(iso(autumn)).toEqual(['2026-10-24T23:00:00.000Z', '2026-10-26T00:00:00.000Z']);
    expect(autumn.end.getTime() - autumn.start.getTime()).toBe(25 * 3_600_000);
  });

  test('another zone’s day, whatever the phone’s zone is', () => {
    const day = scheduleDay(new Date('2026-11-24T03:00:00Z'), 'America/New_York');
    expect(day.date).toEqual({ year: 2026, month: 11, day: 23 });
    expect(iso(day)).toEqual(['2026-11-23T05:00:00.000Z', '2026-11-24T05:00:00.000Z']);
  });
});

describe('zonedInstant', () => {
  test('a time in the spring gap is read as late as the gap; a time that happens twice is the first one', () => {
    const spring = { year: 2026, month: 3, day: 29 };
    expect(zonedInstant(spring, 1, 30, LONDON).toISOString()).toBe('2026-03-29T01:30:00.000Z'); // 02:30 BST
    expect(zonedInstant(spring, 8, 0, LONDON).toISOString()).toBe('2026-03-29T07:00:00.000Z');
    const autumn = { year: 2026, month: 10, day: 25 };
    expect(zonedInstant(autumn, 1, 30, LONDON).toISOString()).toBe('2026-10-25T00:30:00.000Z'); // 01:30 BST
    expect(zonedInstant(autumn, 8, 0, LONDON).toISOString()).toBe('2026-10-25T08:00:00.000Z');
  });
});

describe('dueTimeText', () => {
  test('the schedule’s time; with the phone’s clock too when it shows another time', () => {
    const day = scheduleDay(new Date('2026-07-01T10:00:00Z'), LONDON);
    expect(dueTimeText(day, '08:00', LONDON)).toBe('08:00');
    expect(dueTimeText(day, '08:00', 'Europe/Paris')).toBe('08:00 (09:00 on your phone)');
    expect(dueTimeText(day, '20:00', 'America/New_York')).toBe('20:00 (15:00 on your phone)');
    // In winter London and Lisbon keep the same clock.
    const winter = scheduleDay(new Date('2026-11-24T10:00:00Z'), LONDON);
    expect(dueTimeText(winter, '08:00', 'Europe/Lisbon')).toBe('08:00');
    expect(dueTimeText(winter, '08:00', 'Not/A_Zone')).toBe('08:00');
  });
});
