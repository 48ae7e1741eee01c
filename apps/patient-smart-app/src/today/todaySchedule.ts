// What to measure today, from the patient's active monitoring CarePlans, and how many of each are done today.
import type { CarePlan, Observation, Timing } from '@medplum/fhirtypes';
import { LOINC } from '../bluetooth/vitalSignCodes.ts';
import type { OutboxItem } from '../outbox/outboxItem.ts';
import { VITAL_SIGNS, vitalOfCodes, type VitalSign } from '../vitals/vitalSigns.ts';

export interface TodayTask {
  vital: VitalSign;
  /** Readings asked for today (at least 1). */
  timesToday: number;
  /** The set times, e.g. ["08:00", "20:00"], when the schedule has them. */
  times: string[];
  /** Readings of this vital sign taken today: on the server, or on the phone (sent or waiting). */
  doneToday: number;
  /** How many of those are still waiting on the phone. */
  waitingToday: number;
}

const ACTIVE_ACTIVITY = ['not-started', 'scheduled', 'in-progress'];

/** Readings a day asked for by a Timing: its times of day, or frequency per period (days or hours); else 1. */
export function readingsPerDay(timing: Timing | undefined): { count: number; times: string[] } {
  const repeat = timing?.repeat;
  if (repeat?.timeOfDay?.length) {
    return { count: repeat.timeOfDay.length, times: repeat.timeOfDay.map((t) => t.slice(0, 5)).sort() };
  }
  const frequency = repeat?.frequency ?? 1;
  const period = repeat?.period ?? 1;
  const perDay =
    repeat?.periodUnit === 'h' ? (frequency * 24) / period : repeat?.periodUnit === 'd' ? frequency / period : 1;
  return { count: Math.max(1, Math.round(perDay)), times: [] };
}

/** The vital signs the CarePlans schedule (activities with a LOINC code and a Timing), in the app's order. */
export function scheduledVitals(carePlans: readonly CarePlan[]): Map<string, { count: number; times: string[] }> {
  const found = new Map<string, { count: number; times: string[] }>();
  for (const plan of carePlans) {
    if (plan.status !== 'active') {
      continue;
    }
    for (const activity of plan.activity ?? []) {
      const detail = activity.detail;
      if (!detail?.scheduledTiming || !ACTIVE_ACTIVITY.includes(detail.status)) {
        continue;
      }
      const codes = (detail.code?.coding ?? [])
        .filter((c) => c.system === LOINC && c.code)
        .map((c) => c.code as string);
      const vital = vitalOfCodes(codes);
      if (vital && !found.has(vital.key)) {
        found.set(vital.key, readingsPerDay(detail.scheduledTiming));
      }
    }
  }
  return found;
}

function observationCodes(observation: Observation): string[] {
  return (observation.code?.coding ?? []).filter((c) => c.system === LOINC).map((c) => c.code as string);
}

/** Within [dayStart, dayEnd); without dayEnd, 24 hours (a schedule day is 23 or 25 h when the clocks change). */
function isToday(iso: string | undefined, dayStart: Date, dayEnd: Date | undefined): boolean {
  const time = Date.parse(iso ?? '');
  return time >= dayStart.getTime() && time < (dayEnd?.getTime() ?? dayStart.getTime() + 24 * 3600_000);
}

/**
 * Today's tasks: each scheduled vital sign with what is done. A reading counts once: a sent outbox reading is matched
 * to its server Observation by identifier. A blood pressure's pulse counts as a heart rate.
 */
export function todayTasks(input: {
  carePlans: readonly CarePlan[];
  observations: readonly Observation[];
  outbox: readonly OutboxItem[];
  /** The schedule's day (scheduleDay.ts): its start and end in the schedule's time zone. */
  dayStart: Date;
  dayEnd?: Date;
}): TodayTask[] {
  const scheduled = scheduledVitals(input.carePlans);
  const serverIdentifiers = new Set(
    input.observations.flatMap((o) => (o.identifier ?? []).map((id) => `${id.system}|${id.value}`))
  );
  return VITAL_SIGNS.filter((vital) => scheduled.has(vital.key)).map((vital) => {
    const plan = scheduled.get(vital.key) as { count: number; times: string[] };
    const onServer = input.observations.filter(
      (o) =>
        isToday(o.effectiveDateTime, input.dayStart, input.dayEnd) &&
        vitalOfCodes(observationCodes(o))?.key === vital.key
    ).length;
    const local = input.outbox.filter(
      (item) =>
        item.state !== 'refused' &&
        isToday(item.takenAt, input.dayStart, input.dayEnd) &&
        item.resources.some((o) => vitalOfCodes(observationCodes(o))?.key === vital.key) &&
        !item.resources.some((o) =>
          (o.identifier ?? []).some((id) => serverIdentifiers.has(`${id.system}|${id.value}`))
        )
    );
    return {
      vital,
      timesToday: plan.count,
      times: plan.times,
      doneToday: onServer + local.length,
      waitingToday: local.filter((item) => item.state === 'waiting').length,
    };
  });
}
