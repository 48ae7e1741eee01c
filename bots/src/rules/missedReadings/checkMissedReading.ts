// Decides whether a scheduled reading is overdue at a given time: when it was due, and since when it is overdue.
import type { ReadingSchedule } from './readingSchedule.ts';
import { addDays, civilDateOf, zonedTimeToInstant } from './zonedTime.ts';

/**
 * Source: the patient's monitoring CarePlan (its activity.detail.scheduledTiming, set by the clinical team from the
 * programme's PlanDefinition). Exact definition:
 *
 * Times-of-day schedule (e.g. daily at 09:00 Europe/London, grace 2 h). Each local time on each day is a due time
 * ("slot"), computed in the schedule's time zone, so 09:00 stays 09:00 local across the clocks changing. A slot is
 * met by any reading taken at or after the midpoint between the previous slot and this one (for daily 09:00: from
 * 21:00 the evening before), so a reading a little early counts, and a later reading also covers the slots before
 * it. At `now`, the current slot is the last one due (≤ now) since `activeFrom`:
 * - met → state `not-due`, `dueAt` = the next slot;
 * - not met → `dueAt` = the first slot not met since the last reading (or since activeFrom), `overdueSince` =
 *   dueAt + grace; state `due` until then, `overdue` from then (a reading exactly at overdueSince's instant is
 *   overdue — the grace period is [dueAt, dueAt + grace)).
 *
 * Interval schedule (N per day without set times): the next reading is due one interval (24 h / N) after the last
 * reading, or after activeFrom when there is none; overdue from dueAt + grace.
 *
 * Readings are the effective times of the patient's readings of the scheduled vital sign (any status the rules use).
 * At most 400 days are looked back over.
 */

export type MissedReadingState = 'not-due' | 'due' | 'overdue';

export interface MissedReadingStatus {
  state: MissedReadingState;
  overdue: boolean;
  /** When the reading now expected is (or was) due. */
  dueAt: Date;
  /** dueAt + grace, when the reading is due and has not arrived. */
  overdueSince?: Date;
  /** Slots past their grace without a reading (times-of-day), or intervals (interval schedule). */
  missedCount: number;
  lastReadingAt?: Date;
  explanation: string;
}

const MINUTE = 60_000;
const MAX_LOOKBACK_DAYS = 400;

/** One formatter per time zone: building an Intl.DateTimeFormat costs far more than formatting with one. */
const textFormatters = new Map<string, Intl.DateTimeFormat>();

function localText(instant: Date, timeZone: string): string {
  let formatter = textFormatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    textFormatters.set(timeZone, formatter);
  }
  return formatter.format(instant);
}

function describe(
  schedule: ReadingSchedule,
  state: MissedReadingState,
  dueAt: Date,
  overdueSince: Date | undefined,
  missedCount: number,
  lastReadingAt: Date | undefined
): string {
  const zone = schedule.timeZone;
  const last = lastReadingAt ? `last reading ${localText(lastReadingAt, zone)}` : 'no reading yet';
  if (state === 'not-due') {
    return `${schedule.label}: next reading due ${localText(dueAt, zone)} (${zone}); ${last}`;
  }
  const since = overdueSince as Date;
  if (state === 'due') {
    return `${schedule.label}: reading due ${localText(dueAt, zone)} (${zone}), overdue from ${localText(since, zone)}; ${last}`;
  }
  const missed = missedCount === 1 ? '1 scheduled reading missed' : `${missedCount} scheduled readings missed`;
  return `${schedule.label}: the reading due ${localText(dueAt, zone)} (${zone}) has not been received; overdue since ${localText(since, zone)}, ${missed}; ${last}`;
}

function latestOf(readingTimes: readonly Date[]): Date | undefined {
  return readingTimes.reduce<Date | undefined>((latest, t) => (!latest || t > latest ? t : latest), undefined);
}

function slots(schedule: Extract<ReadingSchedule, { kind: 'times-of-day' }>, from: Date, to: Date): Date[] {
  const instants = new Set<number>();
  const last = addDays(civilDateOf(to, schedule.timeZone), 1);
  let date = addDays(civilDateOf(from, schedule.timeZone), -1);
  for (let i = 0; i <= MAX_LOOKBACK_DAYS + 3; i++) {
    for (const time of schedule.timesOfDay) {
      instants.add(zonedTimeToInstant(date, time, schedule.timeZone).getTime());
    }
    if (date.year === last.year && date.month === last.month && date.day === last.day) {
      break;
    }
    date = addDays(date, 1);
  }
  return [...instants].sort((a, b) => a - b).map((ms) => new Date(ms));
}

function checkTimesOfDay(
  schedule: Extract<ReadingSchedule, { kind: 'times-of-day' }>,
  latest: Date | undefined,
  now: Date
): MissedReadingStatus {
  const graceMs = schedule.graceMinutes * MINUTE;
  const lookbackLimit = new Date(now.getTime() - MAX_LOOKBACK_DAYS * 86_400_000);
  const startCandidates = [schedule.activeFrom, latest ?? schedule.activeFrom].map((d) => d.getTime());
  const from = new Date(Math.max(Math.max(...startCandidates), lookbackLimit.getTime()));
  const all = slots(schedule, from < now ? from : now, now);
  const windowStart = (i: number): number =>
    i > 0 ? (all[i - 1].getTime() + all[i].getTime()) / 2 : all[i].getTime() - 12 * 3_600_000;
  const eligible = (i: number): boolean => all[i] >= schedule.activeFrom;

  let current = -1;
  for (let i = 0; i < all.length; i++) {
    if (eligible(i) && all[i] <= now) {
      current = i;
    }
  }
  const nextAfter = (i: number): Date => {
    for (let j = i + 1; j < all.length; j++) {
      if (eligible(j) && all[j] > now) {
        return all[j];
      }
    }
    return all[all.length - 1];
  };
  if (current < 0 || (latest && latest.getTime() >= windowStart(current))) {
    const dueAt = nextAfter(current);
    return {
      state: 'not-due',
      overdue: false,
      dueAt,
      missedCount: 0,
      lastReadingAt: latest,
      explanation: describe(schedule, 'not-due', dueAt, undefined, 0, latest),
    };
  }
  let first = current;
  for (let i = 0; i <= current; i++) {
    if (eligible(i) && (!latest || windowStart(i) > latest.getTime())) {
      first = i;
      break;
    }
  }
  const dueAt = all[first];
  const overdueSince = new Date(dueAt.getTime() + graceMs);
  const overdue = now >= overdueSince;
  let missedCount = 0;
  for (let i = first; i <= current; i++) {
    if (eligible(i) && all[i].getTime() + graceMs <= now.getTime()) {
      missedCount++;
    }
  }
  const state: MissedReadingState = overdue ? 'overdue' : 'due';
  return {
    state,
    overdue,
    dueAt,
    overdueSince,
    missedCount,
    lastReadingAt: latest,
    explanation: describe(schedule, state, dueAt, overdueSince, missedCount, latest),
  };
}

function checkInterval(
  schedule: Extract<ReadingSchedule, { kind: 'interval' }>,
  latest: Date | undefined,
  now: Date
): MissedReadingStatus {
  const intervalMs = schedule.intervalMinutes * MINUTE;
  const dueAt = new Date((latest ?? schedule.activeFrom).getTime() + intervalMs);
  const overdueSince = new Date(dueAt.getTime() + schedule.graceMinutes * MINUTE);
  const state: MissedReadingState = now < dueAt ? 'not-due' : now < overdueSince ? 'due' : 'overdue';
  const missedCount = state === 'overdue' ? Math.floor((now.getTime() - dueAt.getTime()) / intervalMs) + 1 : 0;
  return {
    state,
    overdue: state === 'overdue',
    dueAt,
    ...(state === 'not-due' ? {} : { overdueSince }),
    missedCount,
    lastReadingAt: latest,
    explanation: describe(schedule, state, dueAt, overdueSince, missedCount, latest),
  };
}

/** Whether a reading on `schedule` is overdue at `now`, given the times of the patient's readings of that vital sign. */
export function checkMissedReading(
  schedule: ReadingSchedule,
  readingTimes: readonly Date[],
  now: Date
): MissedReadingStatus {
  const latest = latestOf(readingTimes);
  return schedule.kind === 'interval' ? checkInterval(schedule, latest, now) : checkTimesOfDay(schedule, latest, now);
}
