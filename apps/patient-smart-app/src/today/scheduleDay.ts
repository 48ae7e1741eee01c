// "Today" and due times in the monitoring schedule's time zone (rpm-schedule-time-zone), not the phone's own.
import type { CarePlan } from '@medplum/fhirtypes';

export const SCHEDULE_TIME_ZONE_URL = 'http://rpm-platform.org/fhir/StructureDefinition/rpm-schedule-time-zone';
/** As the missed-readings bot (bots/src/rules/missedReadings/readingSchedule.ts): a plan without a zone is UK time. */
export const DEFAULT_TIME_ZONE = 'Europe/London';

const HOUR_MS = 3_600_000;

/** A calendar date, month 1–12. */
export interface CivilDate {
  year: number;
  month: number;
  day: number;
}

/** The schedule's day that contains a moment: its date and the instants it starts and ends (23 or 25 h at DST). */
export interface ScheduleDay {
  date: CivilDate;
  start: Date;
  end: Date;
  timeZone: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Whether this browser knows the IANA time zone. */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The time zone of the first active CarePlan that names a known one; else Europe/London. */
export function scheduleTimeZone(carePlans: readonly CarePlan[]): string {
  for (const plan of carePlans) {
    const zone = plan.extension?.find((e) => e.url === SCHEDULE_TIME_ZONE_URL)?.valueCode;
    if (plan.status === 'active' && zone && isTimeZone(zone)) {
      return zone;
    }
  }
  return DEFAULT_TIME_ZONE;
}

/** The wall-clock fields of an instant in a zone, read as if they were UTC (ms, to the second). */
function wallClockMs(instantMs: number, timeZone: string): number {
  const parts = Object.fromEntries(
    formatter(timeZone)
      .formatToParts(new Date(instantMs))
      .map((p) => [p.type, p.value])
  );
  return Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second)
  );
}

function offsetMs(instantMs: number, timeZone: string): number {
  return wallClockMs(instantMs, timeZone) - Math.floor(instantMs / 1000) * 1000;
}

/**
 * The instant a wall-clock time happens in a zone. A time that happens twice (clocks go back) is the first one; a
 * time that does not happen (clocks go forward) is read with the offset before the change, i.e. as late as the gap.
 */
export function zonedInstant(date: CivilDate, hour: number, minute: number, timeZone: string): Date {
  const wall = Date.UTC(date.year, date.month - 1, date.day, hour, minute);
  const before = wall - offsetMs(wall - 12 * HOUR_MS, timeZone);
  const after = wall - offsetMs(wall + 12 * HOUR_MS, timeZone);
  const valid = [before, after].filter((t) => wallClockMs(t, timeZone) === wall);
  return new Date(valid.length ? Math.min(...valid) : before);
}

/** The calendar date of an instant in a zone. */
export function zonedDate(instant: Date, timeZone: string): CivilDate {
  const wall = new Date(wallClockMs(instant.getTime(), timeZone));
  return { year: wall.getUTCFullYear(), month: wall.getUTCMonth() + 1, day: wall.getUTCDate() };
}

function nextDate(date: CivilDate): CivilDate {
  const next = new Date(Date.UTC(date.year, date.month - 1, date.day + 1));
  return { year: next.getUTCFullYear(), month: next.getUTCMonth() + 1, day: next.getUTCDate() };
}

/** The schedule's day containing `now`: from its midnight to the next, in the schedule's zone. */
export function scheduleDay(now: Date, timeZone: string): ScheduleDay {
  const date = zonedDate(now, timeZone);
  return {
    date,
    start: zonedInstant(date, 0, 0, timeZone),
    end: zonedInstant(nextDate(date), 0, 0, timeZone),
    timeZone,
  };
}

/** "08:00" on the phone's clock for a due time "HH:MM" of the schedule's day. */
function phoneClock(day: ScheduleDay, time: string, phoneTimeZone: string): string {
  const [hour, minute] = time.split(':').map(Number);
  const instant = zonedInstant(day.date, hour, minute, day.timeZone);
  const wall = new Date(wallClockMs(instant.getTime(), phoneTimeZone));
  return `${String(wall.getUTCHours()).padStart(2, '0')}:${String(wall.getUTCMinutes()).padStart(2, '0')}`;
}

/**
 * A due time in words: the schedule's time ("08:00"), and when the phone's clock would show another time (the patient
 * is abroad, or the phone is set to another zone), that time too: "08:00 (09:00 on your phone)".
 */
export function dueTimeText(day: ScheduleDay, time: string, phoneTimeZone: string): string {
  const onPhone = isTimeZone(phoneTimeZone) ? phoneClock(day, time, phoneTimeZone) : time;
  return onPhone === time ? time : `${time} (${onPhone} on your phone)`;
}

/** The phone's own IANA time zone. */
export function phoneTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}
