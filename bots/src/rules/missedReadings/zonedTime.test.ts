// Local times in Europe/London and other zones to instants, across both daylight-saving changes.
import { describe, expect, test } from 'vitest';
import { addDays, civilDateOf, offsetAt, zonedTimeToInstant } from './zonedTime.ts';

const LONDON = 'Europe/London';

describe('zonedTimeToInstant', () => {
  test.each([
    ['winter (GMT)', { year: 2025, month: 3, day: 29 }, 9, '2025-03-29T09:00:00.000Z'],
    ['the day the clocks go forward (BST)', { year: 2025, month: 3, day: 30 }, 9, '2025-03-30T08:00:00.000Z'],
    ['summer (BST)', { year: 2025, month: 7, day: 1 }, 9, '2025-07-01T08:00:00.000Z'],
    ['the day the clocks go back (GMT again)', { year: 2025, month: 10, day: 26 }, 9, '2025-10-26T09:00:00.000Z'],
    ['the day before the clocks go back (BST)', { year: 2025, month: 10, day: 25 }, 9, '2025-10-25T08:00:00.000Z'],
  ])('09:00 London in %s', (_name, date, hour, expected) => {
    expect(zonedTimeToInstant(date, { hour, minute: 0 }, LONDON).toISOString()).toBe(expected);
  });

  test('a time in the spring gap (01:30 on 30 March 2025) moves forward by the gap: 02:30 BST', () => {
    expect(zonedTimeToInstant({ year: 2025, month: 3, day: 30 }, { hour: 1, minute: 30 }, LONDON).toISOString()).toBe(
      '2025-03-30T01:30:00.000Z'
    );
  });

  test('a time that occurs twice in autumn (01:30 on 26 October 2025) is the earlier one (BST)', () => {
    expect(zonedTimeToInstant({ year: 2025, month: 10, day: 26 }, { hour: 1, minute: 30 }, LONDON).toISOString()).toBe(
      '2025-10-26T00:30:00.000Z'
    );
  });

  test('other zones: New York and Kolkata', () => {
    expect(
      zonedTimeToInstant({ year: 2025, month: 1, day: 15 }, { hour: 9, minute: 0 }, 'America/New_York').toISOString()
    ).toBe('2025-01-15T14:00:00.000Z');
    expect(
      zonedTimeToInstant({ year: 2025, month: 1, day: 15 }, { hour: 9, minute: 0 }, 'Asia/Kolkata').toISOString()
    ).toBe('2025-01-15T03:30:00.000Z');
  });
});

describe('calendar helpers', () => {
  test('the local date of an instant', () => {
    expect(civilDateOf(new Date('2025-06-30T23:30:00Z'), LONDON)).toEqual({ year: 2025, month: 7, day: 1 });
    expect(civilDateOf(new Date('2025-12-31T23:30:00Z'), LONDON)).toEqual({ year: 2025, month: 12, day: 31 });
  });

  test('adding days crosses months and years', () => {
    expect(addDays({ year: 2024, month: 12, day: 31 }, 1)).toEqual({ year: 2025, month: 1, day: 1 });
    expect(addDays({ year: 2024, month: 3, day: 1 }, -1)).toEqual({ year: 2024, month: 2, day: 29 });
  });

  test('the offset of London in winter and summer', () => {
    expect(offsetAt(Date.parse('2025-01-01T12:00:00Z'), LONDON)).toBe(0);
    expect(offsetAt(Date.parse('2025-07-01T12:00:00Z'), LONDON)).toBe(3_600_000);
  });
});

describe('remembered offsets give the same answers as Intl', () => {
  const exactOffset = (ms: number, timeZone: string): number => {
    const parts = Object.fromEntries(
      new Intl.DateTimeFormat('en-GB', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      })
        .formatToParts(new Date(ms))
        .map((p) => [p.type, p.value])
    );
    const wall = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute, +parts.second);
    return wall - Math.floor(ms / 1000) * 1000;
  };

  test.each([
    ['Europe/London', '2025-03-30T01:00:00Z'],
    ['Europe/London', '2025-10-26T01:00:00Z'],
    ['America/New_York', '2025-03-09T07:00:00Z'],
    ['Australia/Lord_Howe', '2025-04-05T15:00:00Z'],
    ['Asia/Kolkata', '2025-06-01T00:00:00Z'],
  ])('%s around %s, every 7 seconds, asked twice', (zone, around) => {
    const centre = Date.parse(around);
    for (const pass of [1, 2]) {
      for (let ms = centre - 20 * 60_000; ms <= centre + 20 * 60_000; ms += 7_000) {
        expect(offsetAt(ms, zone), `${zone} ${new Date(ms).toISOString()} pass ${pass}`).toBe(exactOffset(ms, zone));
      }
    }
  });
});
