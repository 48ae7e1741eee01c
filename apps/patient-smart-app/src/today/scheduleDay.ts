// "Today" and due times in the monitoring schedule's time zone (rpm-schedule-time-zone), not the phone's own.
import type { CarePlan } from '@medplum/fhirtypes';
import {
  addDays,
  checkTimeZone,
  civilDateOf,
  offsetAt,
  zonedTimeToInstant,
  type CivilDate,
} from '../../../../bots/src/rules/missedReadings/zonedTime.ts';

export const SCHEDULE_TIME_ZONE_URL = 'http://rpm-platform.org/fhir/StructureDefinition/rpm-schedule-time-zone';
/** As the missed-readings bot (bots/src/rules/missedReadings/readingSchedule.ts): a plan without a zone is UK time. */
export const DEFAULT_TIME_ZONE = 'Europe/London';

/** A calendar date, month 1–12. */
export type { CivilDate };

/** The schedule's day that contains a moment: its date and the instants it starts and ends (23 or 25 h at DST). */
export interface ScheduleDay {
  date: CivilDate;
  start: Date;
  end: Date;
  timeZone: string;
}

/** Whether this browser knows the IANA time zone. */
export function isTimeZone(timeZone: string): boolean {
  try {
    checkTimeZone(timeZone);
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

/**
 * The instant a wall-clock time happens in a zone (the bots' own zonedTimeToInstant, so the app's due times are the
 * missed-readings rule's): a time that happens twice is the first one; one that does not is moved forward by the gap.
 */
export function zonedInstant(date: CivilDate, hour: number, minute: number, timeZone: string): Date {
  return zonedTimeToInstant(date, { hour, minute }, timeZone);
}

/** The calendar date of an instant in a zone. */
export function zonedDate(instant: Date, timeZone: string): CivilDate {
  return civilDateOf(instant, timeZone);
}

/** The schedule's day containing `now`: from its midnight to the next, in the schedule's zone. */
export function scheduleDay(now: Date, timeZone: string): ScheduleDay {
  const date = zonedDate(now, timeZone);
  return {
    date,
    start: zonedInstant(date, 0, 0, timeZone),
    end: zonedInstant(addDays(date, 1), 0, 0, timeZone),
    timeZone,
  };
}

/** "08:00" on the phone's clock for a due time "HH:MM" of the schedule's day. */
function phoneClock(day: ScheduleDay, time: string, phoneTimeZone: string): string {
  const [hour, minute] = time.split(':').map(Number);
  const instant = zonedInstant(day.date, hour, minute, day.timeZone);
  const wall = new Date(instant.getTime() + offsetAt(instant.getTime(), phoneTimeZone));
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
