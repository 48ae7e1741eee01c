// Wall-clock times in an IANA time zone ↔ instants, with the standard library's Intl only (DST gaps and overlaps handled).

/** A calendar date, month 1–12. */
export interface CivilDate {
  year: number;
  month: number;
  day: number;
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

/** Throws a RangeError for a time zone the runtime does not know. */
export function checkTimeZone(timeZone: string): void {
  formatter(timeZone);
}

/**
 * Offsets are remembered per quarter hour of each zone: asking Intl costs microseconds, and a scan of thousands of
 * schedules asks for the same few days again and again. A quarter hour whose start and end differ holds a change of
 * offset and is never remembered (every instant in it is asked exactly), so the answer is always Intl's.
 */
const QUARTER_HOUR_MS = 15 * 60_000;
const MAX_REMEMBERED_OFFSETS = 100_000;
const TRANSITION = Number.NaN;
const offsetsByQuarter = new Map<string, number>();

/** The wall-clock fields of `instantMs` in `timeZone`, as if they were UTC (milliseconds, seconds precision). */
function wallClockMs(instantMs: number, timeZone: string): number {
  const quarter = Math.floor(instantMs / QUARTER_HOUR_MS) * QUARTER_HOUR_MS;
  const key = `${timeZone}|${quarter}`;
  let offset = offsetsByQuarter.get(key);
  if (offset === undefined) {
    const atStart = exactWallClockMs(quarter, timeZone) - quarter;
    const end = quarter + QUARTER_HOUR_MS - 1000;
    offset = exactWallClockMs(end, timeZone) - end === atStart ? atStart : TRANSITION;
    if (offsetsByQuarter.size >= MAX_REMEMBERED_OFFSETS) {
      offsetsByQuarter.clear();
    }
    offsetsByQuarter.set(key, offset);
  }
  if (Number.isNaN(offset)) {
    return exactWallClockMs(instantMs, timeZone);
  }
  return Math.floor(instantMs / 1000) * 1000 + offset;
}

/** wallClockMs straight from Intl. */
function exactWallClockMs(instantMs: number, timeZone: string): number {
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

/** The zone's offset from UTC at an instant, in milliseconds (Europe/London: 0 in winter, 3 600 000 in summer). */
export function offsetAt(instantMs: number, timeZone: string): number {
  const whole = Math.floor(instantMs / 1000) * 1000;
  return wallClockMs(whole, timeZone) - whole;
}

/** The calendar date of an instant in a time zone. */
export function civilDateOf(instant: Date, timeZone: string): CivilDate {
  const wall = new Date(wallClockMs(instant.getTime(), timeZone));
  return { year: wall.getUTCFullYear(), month: wall.getUTCMonth() + 1, day: wall.getUTCDate() };
}

/** The calendar date `days` after `date`. */
export function addDays(date: CivilDate, days: number): CivilDate {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/**
 * The instant at which the wall clock in `timeZone` shows `date` at `hour:minute:second`. Like Temporal's
 * "compatible" disambiguation: a time that occurs twice (clocks go back) is the earlier instant; a time that does not
 * occur (clocks go forward) is moved forward by the gap (Europe/London 01:30 on the spring change is 02:30 BST).
 */
export function zonedTimeToInstant(
  date: CivilDate,
  time: { hour: number; minute: number; second?: number },
  timeZone: string
): Date {
  const wall = Date.UTC(date.year, date.month - 1, date.day, time.hour, time.minute, time.second ?? 0);
  const day = 86_400_000;
  const offsets = [...new Set([offsetAt(wall - day, timeZone), offsetAt(wall + day, timeZone)])];
  const valid = offsets.map((o) => wall - o).filter((instant) => wallClockMs(instant, timeZone) === wall);
  if (valid.length > 0) {
    return new Date(Math.min(...valid));
  }
  return new Date(wall - offsetAt(wall - day, timeZone));
}
