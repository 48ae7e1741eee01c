// A reading schedule (what to measure, when, in which time zone, with what grace) read from a monitoring CarePlan activity.
import type { CarePlan, CarePlanActivity, Duration, Timing } from '@medplum/fhirtypes';
import { EXTENSIONS, LOINC } from '../../fhir/codes.ts';
import { parseDateTime } from '../../fhir/vitalSigns.ts';
import { checkTimeZone } from './zonedTime.ts';

export const DEFAULT_TIME_ZONE = 'Europe/London';
export const DEFAULT_GRACE_MINUTES = 120;

/**
 * Two kinds of schedule:
 * - `times-of-day`: a reading is due at each listed local time every day (Timing.repeat.timeOfDay, with
 *   periodUnit d and period 1), e.g. daily at 09:00, or 08:00, 14:00 and 20:00;
 * - `interval`: N readings per period without set times (Timing.repeat.frequency N per period 1 d or h), a reading
 *   being due one interval (period / N) after the previous one.
 */
export type ReadingSchedule = {
  /** LOINC codes of the vital sign; a reading coded with any of them counts. */
  codes: string[];
  label: string;
  timeZone: string;
  graceMinutes: number;
  /** Readings are due from this time (CarePlan.period.start). */
  activeFrom: Date;
} & (
  | { kind: 'times-of-day'; timesOfDay: { hour: number; minute: number; second: number }[] }
  | { kind: 'interval'; intervalMinutes: number }
);

const TIME_OF_DAY = /^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$/;

function graceMinutes(duration: Duration | undefined): number {
  if (duration?.value === undefined || duration.value < 0) {
    return DEFAULT_GRACE_MINUTES;
  }
  const factor = ({ min: 1, h: 60, d: 1440 } as Record<string, number | undefined>)[duration.code ?? ''];
  return factor ? duration.value * factor : DEFAULT_GRACE_MINUTES;
}

type Shape =
  | { kind: 'times-of-day'; timesOfDay: { hour: number; minute: number; second: number }[] }
  | {
      kind: 'interval';
      intervalMinutes: number;
    };

/** The schedule shape of a Timing, or a reason why it is not supported. */
export function readTiming(timing: Timing | undefined): Shape | string {
  const repeat = timing?.repeat;
  if (!repeat) {
    return 'no Timing.repeat';
  }
  if (repeat.dayOfWeek?.length || repeat.when?.length || timing.event?.length) {
    return 'dayOfWeek, when and event are not supported';
  }
  if (repeat.timeOfDay?.length) {
    if ((repeat.period ?? 1) !== 1 || (repeat.periodUnit ?? 'd') !== 'd') {
      return 'timeOfDay needs a period of 1 day';
    }
    const times = repeat.timeOfDay.map((t) => TIME_OF_DAY.exec(t));
    if (times.some((m) => !m)) {
      return `a timeOfDay is not hh:mm[:ss]: ${repeat.timeOfDay.join(', ')}`;
    }
    const timesOfDay = times
      .map((m) => ({ hour: Number(m?.[1]), minute: Number(m?.[2]), second: Number(m?.[3] ?? 0) }))
      .sort((a, b) => a.hour * 3600 + a.minute * 60 + a.second - (b.hour * 3600 + b.minute * 60 + b.second));
    return { kind: 'times-of-day', timesOfDay };
  }
  const unitMinutes = ({ h: 60, d: 1440 } as Record<string, number | undefined>)[repeat.periodUnit ?? ''];
  const frequency = repeat.frequency ?? 1;
  const period = repeat.period;
  if (!unitMinutes || !period || period <= 0 || frequency <= 0) {
    return 'a frequency per period in h or d, or timeOfDay, is needed';
  }
  return { kind: 'interval', intervalMinutes: (period * unitMinutes) / frequency };
}

/** A scheduled activity of a monitoring CarePlan as a ReadingSchedule, or a reason why it is not one. */
export function readActivitySchedule(carePlan: CarePlan, activity: CarePlanActivity): ReadingSchedule | string {
  const detail = activity.detail;
  if (!detail?.scheduledTiming) {
    return 'no scheduledTiming';
  }
  if (!['not-started', 'scheduled', 'in-progress'].includes(detail.status)) {
    return `activity status ${detail.status}`;
  }
  const codes = (detail.code?.coding ?? []).filter((c) => c.system === LOINC && c.code).map((c) => c.code as string);
  if (codes.length === 0) {
    return 'no LOINC code';
  }
  const activeFrom = parseDateTime(carePlan.period?.start);
  if (!activeFrom) {
    return 'CarePlan.period.start is not a date-time with a zone';
  }
  const timeZone =
    carePlan.extension?.find((e) => e.url === EXTENSIONS.scheduleTimeZone)?.valueCode ?? DEFAULT_TIME_ZONE;
  try {
    checkTimeZone(timeZone);
  } catch {
    return `unknown time zone ${timeZone}`;
  }
  const shape = readTiming(detail.scheduledTiming);
  if (typeof shape === 'string') {
    return shape;
  }
  const grace = detail.extension?.find((e) => e.url === EXTENSIONS.readingGracePeriod)?.valueDuration;
  return {
    codes,
    label: detail.description ?? detail.code?.text ?? detail.code?.coding?.[0]?.display ?? codes[0],
    timeZone,
    graceMinutes: graceMinutes(grace),
    activeFrom,
    ...shape,
  };
}
