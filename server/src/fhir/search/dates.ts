// FHIR date, dateTime and instant values as the inclusive instant ranges they denote ("2024-03" = all of March 2024).

/** An inclusive range in epoch milliseconds. */
export interface MsRange {
  low: number;
  high: number;
}

// year[-month[-day[Thh:mm[:ss[.fraction]][zone]]]]; values without a zone are taken as UTC.
const DATE_PATTERN =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

const DAY_MS = 86_400_000;

/** Epoch ms of a UTC calendar time; unlike Date.UTC, years below 100 are taken literally. */
function utc(year: number, month: number, day: number, hour = 0, minute = 0, second = 0, ms = 0): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month, day);
  date.setUTCHours(hour, minute, second, ms);
  return date.getTime();
}

function daysInMonth(year: number, month1: number): number {
  return new Date(utc(year, month1, 0)).getUTCDate();
}

/**
 * Parses a FHIR date/dateTime/instant (or a search date value) into the range it covers, at millisecond precision.
 * Returns undefined when the value is not a valid date.
 */
export function parseDateRange(value: string): MsRange | undefined {
  const m = DATE_PATTERN.exec(value);
  if (!m) {
    return undefined;
  }
  const year = Number(m[1]);
  if (year < 1) {
    return undefined;
  }
  if (m[2] === undefined) {
    return { low: utc(year, 0, 1), high: utc(year + 1, 0, 1) - 1 };
  }
  const month = Number(m[2]);
  if (month < 1 || month > 12) {
    return undefined;
  }
  if (m[3] === undefined) {
    return { low: utc(year, month - 1, 1), high: utc(year, month, 1) - 1 };
  }
  const day = Number(m[3]);
  if (day < 1 || day > daysInMonth(year, month)) {
    return undefined;
  }
  if (m[4] === undefined) {
    const low = utc(year, month - 1, day);
    return { low, high: low + DAY_MS - 1 };
  }
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  if (hour > 23 || minute > 59) {
    return undefined;
  }
  let offsetMinutes = 0;
  const zone = m[8];
  if (zone && zone !== 'Z') {
    const zh = Number(zone.slice(1, 3));
    const zm = Number(zone.slice(4, 6));
    if (zh > 14 || zm > 59 || (zh === 14 && zm > 0)) {
      return undefined;
    }
    offsetMinutes = (zone[0] === '-' ? -1 : 1) * (zh * 60 + zm);
  }
  let low: number;
  let width: number;
  if (m[6] === undefined) {
    low = utc(year, month - 1, day, hour, minute);
    width = 60_000;
  } else {
    const second = Number(m[6]);
    if (second > 59) {
      return undefined;
    }
    const fraction = m[7] ?? '';
    const ms = Number((fraction + '000').slice(0, 3));
    low = utc(year, month - 1, day, hour, minute, second, ms);
    width = fraction.length >= 3 ? 1 : 10 ** (3 - fraction.length);
  }
  low -= offsetMinutes * 60_000;
  return { low, high: low + width - 1 };
}

const MIN_MS = utc(1, 0, 1);
const MAX_MS = utc(10000, 0, 1) - 1;

/** PostgreSQL timestamptz input for an epoch ms value; values outside years 1..9999 become ±infinity. */
export function toIso(ms: number): string {
  if (ms < MIN_MS) {
    return '-infinity';
  }
  if (ms > MAX_MS) {
    return 'infinity';
  }
  return new Date(ms).toISOString();
}
