// A programme's reading schedule (PlanDefinition actions) as editable times of day, and back as CarePlan activities.
import type { CarePlanActivity, CodeableConcept, Extension, PlanDefinition } from '@medplum/fhirtypes';

export const GRACE_PERIOD_EXTENSION = 'http://rpm-platform.org/fhir/StructureDefinition/rpm-reading-grace-period';

/** One scheduled reading: what to measure and at which times of day (HH:MM, the programme's time zone). */
export interface ScheduledReading {
  code: CodeableConcept;
  /** What the clinician reads: "Blood pressure". */
  label: string;
  times: string[];
  /** The programme's grace-period extension, kept as it is. */
  extension?: Extension[];
}

/** The programme's default schedule: one entry per action with a code and a daily timing. */
export function defaultSchedule(programme: PlanDefinition): ScheduledReading[] {
  return (programme.action ?? [])
    .filter((action) => action.code?.[0])
    .map((action) => {
      const code = action.code?.[0] as CodeableConcept;
      return {
        code,
        label: code.text ?? action.title ?? code.coding?.[0]?.display ?? code.coding?.[0]?.code ?? 'Reading',
        times: (action.timingTiming?.repeat?.timeOfDay ?? []).map((t) => t.slice(0, 5)),
        extension: action.extension?.filter((e) => e.url === GRACE_PERIOD_EXTENSION),
      };
    });
}

const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;

/** Times typed as "09:00, 18:00" (HH:MM, 24-hour) → ["09:00", "18:00"]; a problem in plain words otherwise. */
export function parseTimes(text: string): { times: string[]; problem?: string } {
  const times = text
    .split(/[,\s]+/)
    .map((t) => t.trim())
    .filter(Boolean)
    .map((t) => (/^\d:\d\d$/.test(t) ? `0${t}` : t));
  const wrong = times.find((t) => !TIME.test(t));
  if (wrong) {
    return {
      times,
      problem: `“${wrong}” is not a time: write times as HH:MM on the 24-hour clock, e.g. 09:00, 18:00.`,
    };
  }
  if (times.length === 0) {
    return { times, problem: 'Enter at least one time of day, e.g. 09:00.' };
  }
  return { times: [...new Set(times)].sort() };
}

/** The schedule as CarePlan activities (rpm-monitoring-careplan: code with scheduledTiming, daily times of day). */
export function scheduleActivities(schedule: readonly ScheduledReading[]): CarePlanActivity[] {
  return schedule
    .filter((reading) => reading.times.length > 0)
    .map((reading) => ({
      detail: {
        ...(reading.extension?.length ? { extension: reading.extension } : {}),
        code: reading.code,
        status: 'in-progress',
        scheduledTiming: {
          repeat: {
            frequency: reading.times.length,
            period: 1,
            periodUnit: 'd',
            timeOfDay: reading.times.map((t) => `${t}:00`),
          },
        },
      },
    }));
}
