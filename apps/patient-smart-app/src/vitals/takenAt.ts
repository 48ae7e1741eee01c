// When a hand-entered reading was taken: now, or a day and time the patient types (not in the future, at most 7 days ago).

export type TakenWhen = 'now' | 'earlier';

/** What the form holds: the choice, and for "earlier" the day (YYYY-MM-DD) and time (HH:MM) on the phone's clock. */
export interface TypedTime {
  when: TakenWhen;
  day: string;
  time: string;
}

export const MAX_AGE_DAYS = 7;
const DAY_MS = 24 * 3_600_000;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME = /^([01]?\d|2[0-3])[:.]([0-5]\d)$/;

export type TakenAtResult = { takenAt: Date } | { field: 'day' | 'time'; error: string };

/** YYYY-MM-DD of an instant on the phone's clock (what a date input shows and takes). */
export function localDay(instant: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${instant.getFullYear()}-${pad(instant.getMonth() + 1)}-${pad(instant.getDate())}`;
}

/**
 * The moment the reading was taken: `now` for "now"; else the typed day and time on the phone's clock, refused in
 * plain words when missing, not a real date or time, later than now, or more than 7 days ago.
 */
export function checkTakenAt(typed: TypedTime, now: Date): TakenAtResult {
  if (typed.when === 'now') {
    return { takenAt: now };
  }
  const day = DAY.exec(typed.day.trim());
  if (!typed.day.trim()) {
    return { field: 'day', error: 'Choose the day you took the reading.' };
  }
  const time = TIME.exec(typed.time.trim());
  if (!typed.time.trim()) {
    return { field: 'time', error: 'Write the time you took the reading, for example 08:30.' };
  }
  if (!day) {
    return { field: 'day', error: 'This day is not a real date. Choose it again.' };
  }
  if (!time) {
    return { field: 'time', error: 'Write the time as hours and minutes, for example 08:30.' };
  }
  const [year, month, date] = [Number(day[1]), Number(day[2]), Number(day[3])];
  const takenAt = new Date(year, month - 1, date, Number(time[1]), Number(time[2]));
  if (takenAt.getMonth() !== month - 1 || takenAt.getDate() !== date) {
    return { field: 'day', error: 'This day is not a real date. Choose it again.' };
  }
  if (takenAt.getTime() > now.getTime()) {
    return { field: 'time', error: 'This time is later than now. Write when you took the reading.' };
  }
  if (takenAt.getTime() < now.getTime() - MAX_AGE_DAYS * DAY_MS) {
    return {
      field: 'day',
      error: `This is more than ${MAX_AGE_DAYS} days ago. You can only add readings from the last ${MAX_AGE_DAYS} days.`,
    };
  }
  return { takenAt };
}
