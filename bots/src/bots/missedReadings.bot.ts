// Bot (scheduled): scans active monitoring CarePlans and raises a low-severity alert for each overdue scheduled reading.
import type { BotEvent, MedplumClient } from '@medplum/core';
import { buildAlert } from '../alerts/buildAlert.ts';
import { raiseAlert } from '../alerts/raiseAlert.ts';
import type { RaiseAlertResult } from '../alerts/raiseAlert.ts';
import { LOINC } from '../fhir/codes.ts';
import { observationTime } from '../fhir/vitalSigns.ts';
import { checkMissedReading } from '../rules/missedReadings/checkMissedReading.ts';
import { readActivitySchedule } from '../rules/missedReadings/readingSchedule.ts';
import { isMonitoringCarePlan } from './monitoringContext.ts';
import type { BotClient } from './monitoringContext.ts';

export interface MissedReadingsBotResult {
  carePlans: number;
  schedules: number;
  overdue: number;
  alerts: { patient: string; code: string; outcome: RaiseAlertResult['outcome'] }[];
  /** Activities that could not be read as a schedule, with the reason. */
  skipped: string[];
}

/** Most CarePlans read per run (one page); the runtime should page through more (see bots/README.md). */
export const MAX_CARE_PLANS = 1000;

/** Medplum bot entry point, run on a schedule (e.g. every 15 minutes); event.input is not used. */
export async function handler(medplum: MedplumClient, _event: BotEvent): Promise<MissedReadingsBotResult> {
  return scanMissedReadings(medplum, new Date());
}

/** The handler's work, with the clock given (tests). */
export async function scanMissedReadings(medplum: BotClient, now: Date): Promise<MissedReadingsBotResult> {
  const carePlans = (
    await medplum.searchResources('CarePlan', [
      ['status', 'active'],
      ['_count', String(MAX_CARE_PLANS)],
    ])
  ).filter((c) => isMonitoringCarePlan(c, now));
  const result: MissedReadingsBotResult = {
    carePlans: carePlans.length,
    schedules: 0,
    overdue: 0,
    alerts: [],
    skipped: [],
  };
  for (const carePlan of carePlans) {
    const patient = carePlan.subject?.reference;
    if (!patient?.startsWith('Patient/')) {
      continue;
    }
    for (const activity of carePlan.activity ?? []) {
      if (!activity.detail?.scheduledTiming) {
        continue;
      }
      const schedule = readActivitySchedule(carePlan, activity);
      if (typeof schedule === 'string') {
        result.skipped.push(`CarePlan/${carePlan.id}: ${schedule}`);
        continue;
      }
      result.schedules++;
      const latest = await medplum.searchResources('Observation', [
        ['subject', patient],
        ['code', schedule.codes.map((c) => `${LOINC}|${c}`).join(',')],
        ['status', 'final,amended,corrected,preliminary'],
        ['_sort', '-date'],
        ['_count', '1'],
      ]);
      const times = latest.map(observationTime).filter((t): t is Date => t !== undefined);
      const status = checkMissedReading(schedule, times, now);
      if (!status.overdue) {
        continue;
      }
      result.overdue++;
      const alert = buildAlert({
        patient: { reference: patient },
        rule: 'missed-reading',
        qualifier: schedule.codes[0],
        severity: 'low',
        observations: [],
        explanation: status.explanation,
        programme: carePlan.instantiatesCanonical?.[0],
        identified: now,
        evidenceCode: { coding: [{ system: LOINC, code: schedule.codes[0] }] },
      });
      const raised = await raiseAlert(medplum, alert);
      result.alerts.push({ patient, code: schedule.codes[0], outcome: raised.outcome });
    }
  }
  return result;
}
