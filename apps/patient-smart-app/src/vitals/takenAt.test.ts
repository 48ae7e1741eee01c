// When a hand-entered reading was taken: now by default; an earlier day and time, refused in plain words when wrong.
import { describe, expect, test } from 'vitest';
import { checkTakenAt, localDay } from './takenAt.ts';

/** 24 November 2026, 14:05 on the phone's clock (whatever zone the test runs in). */
const NOW = new Date(2026, 10, 24, 14, 5, 30);

describe('checkTakenAt', () => {
  test('"now" is now, whatever was typed', () => {
    expect(checkTakenAt({ when: 'now', day: 'rubbish', time: '' }, NOW)).toEqual({ takenAt: NOW });
  });

  test('an earlier day and time on the phone’s clock; a dot works as well as a colon', () => {
    expect(checkTakenAt({ when: 'earlier', day: '2026-11-24', time: '08:30' }, NOW)).toEqual({
      takenAt: new Date(2026, 10, 24, 8, 30),
    });
    expect(checkTakenAt({ when: 'earlier', day: '2026-11-20', time: '7.15' }, NOW)).toEqual({
      takenAt: new Date(2026, 10, 20, 7, 15),
    });
    // The current minute is not in the future.
    expect(checkTakenAt({ when: 'earlier', day: '2026-11-24', time: '14:05' }, NOW)).toEqual({
      takenAt: new Date(2026, 10, 24, 14, 5),
    });
  });

  test('missing, impossible, future and too old times are refused in words, on the field at fault', () => {
    const refuse = (day: string, time: string) => checkTakenAt({ when: 'earlier', day, time }, NOW);
    expect(refuse('', '08:00')).toEqual({ field: 'day', error: 'Choose the day you took the reading.' });
    expect(refuse('2026-11-24', ' ')).toEqual({
      field: 'time',
      error: 'Write the time you took the reading, for example 08:30.',
    });
    expect(refuse('2026-11-24', '25:00')).toMatchObject({ field: 'time', error: expect.stringMatching(/hours and/) });
    expect(refuse('2026-02-30', '08:00')).toMatchObject({ field: 'day', error: expect.stringMatching(/not a real/) });
    expect(refuse('24/11/2026', '08:00')).toMatchObject({ field: 'day' });
    expect(refuse('2026-11-24', '14:06')).toEqual({
      field: 'time',
      error: 'This time is later than now. Write when you took the reading.',
    });
    expect(refuse('2026-11-25', '08:00')).toMatchObject({ field: 'time', error: expect.stringMatching(/later/) });
    expect(refuse('2026-11-17', '14:06')).toEqual({ takenAt: new Date(2026, 10, 17, 14, 6) });
    expect(refuse('2026-11-17', '14:05')).toEqual({
      field: 'day',
      error: 'This is more than 7 days ago. You can only add readings from the last 7 days.',
    });
  });

  test('localDay is the phone’s calendar day', () => {
    expect(localDay(NOW)).toBe('2026-11-24');
    expect(localDay(new Date(2026, 0, 5, 0, 1))).toBe('2026-01-05');
  });
});
