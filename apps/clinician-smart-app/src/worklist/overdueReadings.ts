// Overdue readings of a worklist row: the monitoring CarePlan's schedule against the patient's latest readings.
import type { CarePlan, Observation } from '@medplum/fhirtypes';
import { checkMissedReading } from '../../../../bots/src/rules/missedReadings/checkMissedReading.ts';
import { readActivitySchedule } from '../../../../bots/src/rules/missedReadings/readingSchedule.ts';
import { readingTime } from '../fhir/readings.ts';

export interface OverdueReadings {
  /** Scheduled readings (CarePlan activities with a LOINC code and a schedule) the app could check. */
  scheduled: number;
  /** What is overdue, as the schedule names it ("Weight", "Blood pressure"). */
  overdue: string[];
}

/**
 * The same definition as the missed-reading alert rule (bots/src/rules/missedReadings, shared code): a slot is
 * overdue once its grace period has passed without a reading of that vital sign since the midpoint before it. The
 * readings are those the worklist loaded (the last 48 h): an older last reading counts as none, which changes
 * nothing about whether the current slot is overdue.
 */
export function overdueReadings(
  carePlans: readonly CarePlan[],
  readings: readonly Observation[],
  now: Date
): OverdueReadings {
  let scheduled = 0;
  const overdue: string[] = [];
  for (const plan of carePlans) {
    for (const activity of plan.activity ?? []) {
      const schedule = readActivitySchedule(plan, activity);
      if (typeof schedule === 'string') {
        continue;
      }
      scheduled++;
      const times = readings
        .filter((o) => o.code?.coding?.some((c) => c.code && schedule.codes.includes(c.code)))
        .map((o) => new Date(readingTime(o) ?? ''))
        .filter((d) => !Number.isNaN(d.getTime()));
      if (checkMissedReading(schedule, times, now).state === 'overdue') {
        overdue.push(schedule.label);
      }
    }
  }
  return { scheduled, overdue };
}
