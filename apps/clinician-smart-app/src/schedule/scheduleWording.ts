// A monitoring CarePlan's scheduled readings in plain words: "Blood pressure: twice a day, 08:00 and 20:00, allowed 2 h late".
import type { CarePlan, CarePlanActivityDetail, CodeableConcept, Duration, Timing } from '@medplum/fhirtypes';
import { LOINC } from '../fhir/codes.ts';
import { VITAL_SIGNS } from '../patient/vitalSigns.ts';

export const GRACE_PERIOD_EXTENSION = 'http://rpm-platform.org/fhir/StructureDefinition/rpm-reading-grace-period';
export const TIME_ZONE_EXTENSION = 'http://rpm-platform.org/fhir/StructureDefinition/rpm-schedule-time-zone';
/** What the missed-readings rule assumes without the extension (bots/README.md). */
export const DEFAULT_GRACE = '2 h';
export const DEFAULT_TIME_ZONE = 'Europe/London';

const UNIT_NAMES: Readonly<Record<string, string>> = {
  s: 'second',
  min: 'minute',
  h: 'hour',
  d: 'day',
  wk: 'week',
  mo: 'month',
  a: 'year',
};
const DAY_NAMES: Readonly<Record<string, string>> = {
  mon: 'Monday',
  tue: 'Tuesday',
  wed: 'Wednesday',
  thu: 'Thursday',
  fri: 'Friday',
  sat: 'Saturday',
  sun: 'Sunday',
};

/** "a", "b and c", "a, b and c". */
export function joinWords(words: readonly string[]): string {
  return words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`;
}

/** The measure's name: the app's label for a LOINC vital sign, else the concept's text or display. */
export function measureName(code: CodeableConcept | undefined): string {
  for (const coding of code?.coding ?? []) {
    const known = VITAL_SIGNS.find((v) => coding.system === LOINC && v.codes.includes(coding.code ?? ''));
    if (known) {
      return known.label;
    }
  }
  return code?.text ?? code?.coding?.[0]?.display ?? code?.coding?.[0]?.code ?? 'Reading';
}

/** "once a day", "twice a day", "3 times a day", "once every 2 days", "every 4 hours", "once a week on Monday". */
export function frequencyWords(timing: Timing | undefined): string | undefined {
  const repeat = timing?.repeat;
  if (!repeat) {
    return undefined;
  }
  const times = repeat.timeOfDay?.length ?? 0;
  const frequency = repeat.frequency ?? (times > 0 ? times : undefined);
  const period = repeat.period ?? 1;
  const unit = UNIT_NAMES[repeat.periodUnit ?? (times > 0 ? 'd' : '')];
  let words: string | undefined;
  if (frequency !== undefined && unit) {
    const count = frequency === 1 ? 'once' : frequency === 2 ? 'twice' : `${frequency} times`;
    if (frequency === 1 && period !== 1 && (unit === 'hour' || unit === 'minute')) {
      words = `every ${period} ${unit}s`;
    } else {
      words = period === 1 ? `${count} a${unit === 'hour' ? 'n' : ''} ${unit}` : `${count} every ${period} ${unit}s`;
    }
  }
  const days = (repeat.dayOfWeek ?? []).map((d) => DAY_NAMES[d] ?? d);
  if (days.length) {
    words = `${words ?? 'on'}${words ? ' on' : ''} ${joinWords(days)}`;
  }
  return words;
}

/** "08:00 and 20:00" from timeOfDay ("08:00:00"). */
export function timesWords(timing: Timing | undefined): string | undefined {
  const times = (timing?.repeat?.timeOfDay ?? []).map((t) => t.slice(0, 5)).sort();
  return times.length ? joinWords(times) : undefined;
}

/** "2 h", "30 min" from the grace-period Duration. */
export function durationWords(duration: Duration | undefined): string | undefined {
  if (duration?.value === undefined) {
    return undefined;
  }
  const unit = duration.code ?? duration.unit ?? '';
  return `${duration.value} ${unit === 'min' ? 'min' : unit === 'h' ? 'h' : unit === 'd' ? (duration.value === 1 ? 'day' : 'days') : unit}`.trim();
}

export interface ScheduleLine {
  measure: string;
  text: string;
}

/** One scheduled reading in words; an activity without a schedule says so. */
export function describeActivity(detail: CarePlanActivityDetail): ScheduleLine {
  const measure = measureName(detail.code);
  const grace = durationWords(detail.extension?.find((e) => e.url === GRACE_PERIOD_EXTENSION)?.valueDuration);
  const parts = [frequencyWords(detail.scheduledTiming), timesWords(detail.scheduledTiming)].filter(Boolean);
  if (parts.length === 0) {
    return { measure, text: `${measure}: no fixed times` };
  }
  const late = grace ? `allowed ${grace} late` : `allowed ${DEFAULT_GRACE} late (default)`;
  return { measure, text: `${measure}: ${parts.join(', ')}, ${late}` };
}

/** Every scheduled reading of the CarePlan (stopped or cancelled activities left out), and its time zone. */
export function describeSchedule(carePlan: CarePlan): { lines: ScheduleLine[]; timeZone: string } {
  const lines = (carePlan.activity ?? [])
    .map((a) => a.detail)
    .filter((d): d is CarePlanActivityDetail => !!d && !['stopped', 'cancelled', 'entered-in-error'].includes(d.status))
    .map(describeActivity);
  const timeZone = carePlan.extension?.find((e) => e.url === TIME_ZONE_EXTENSION)?.valueCode ?? DEFAULT_TIME_ZONE;
  return { lines, timeZone };
}
