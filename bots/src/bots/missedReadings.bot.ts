// Bot (scheduled): scans active monitoring CarePlans and raises a low-severity alert for each overdue scheduled reading.
import type { BotEvent, MedplumClient } from '@medplum/core';
import type { CarePlan } from '@medplum/fhirtypes';
import { buildAlert } from '../alerts/buildAlert.ts';
import { raiseAlert } from '../alerts/raiseAlert.ts';
import type { RaiseAlertResult } from '../alerts/raiseAlert.ts';
import { LOINC } from '../fhir/codes.ts';
import { observationTime } from '../fhir/vitalSigns.ts';
import { checkMissedReading } from '../rules/missedReadings/checkMissedReading.ts';
import { readActivitySchedule, type ReadingSchedule } from '../rules/missedReadings/readingSchedule.ts';
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

/** CarePlans read per page; every page is read (MedplumClient follows the `next` links). */
export const CARE_PLAN_PAGE_SIZE = 500;

/** Patients whose recent readings are fetched with one search (their references make the URL ~5 kB). */
export const PATIENTS_PER_READINGS_SEARCH = 100;

/**
 * How far back the batched search looks. A reading in this window is the patient's latest of its kind; a scheduled
 * reading with none in it is looked up on its own (its latest reading ever), so the result is the same either way.
 */
export const RECENT_READINGS_DAYS = 2;

/** What the scan needs of MedplumClient: the bot client plus paged search. */
export type MissedReadingsClient = BotClient & Pick<MedplumClient, 'searchResourcePages'>;

const COUNTED_STATUSES = 'final,amended,corrected,preliminary';

/** Medplum bot entry point, run on a schedule (e.g. every 15 minutes); event.input is not used. */
export async function handler(medplum: MedplumClient, _event: BotEvent): Promise<MissedReadingsBotResult> {
  return scanMissedReadings(medplum, new Date());
}

/** One scheduled reading of one patient's monitoring CarePlan. */
interface ScheduledReading {
  carePlan: CarePlan;
  patient: string;
  schedule: ReadingSchedule;
}

/**
 * The handler's work, with the clock given (tests). Every active CarePlan is read, page by page; the latest readings
 * are fetched for a hundred patients at a time, so a caseload of thousands costs tens of searches, not thousands.
 */
export async function scanMissedReadings(medplum: MissedReadingsClient, now: Date): Promise<MissedReadingsBotResult> {
  const result: MissedReadingsBotResult = { carePlans: 0, schedules: 0, overdue: 0, alerts: [], skipped: [] };
  let batch: ScheduledReading[] = [];
  const patients = new Set<string>();
  for await (const page of medplum.searchResourcePages('CarePlan', [
    ['status', 'active'],
    ['_count', String(CARE_PLAN_PAGE_SIZE)],
  ])) {
    for (const carePlan of page.filter((c) => isMonitoringCarePlan(c, now))) {
      result.carePlans++;
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
        if (!patients.has(patient) && patients.size >= PATIENTS_PER_READINGS_SEARCH) {
          await checkBatch(medplum, batch, now, result);
          batch = [];
          patients.clear();
        }
        patients.add(patient);
        batch.push({ carePlan, patient, schedule });
      }
    }
  }
  await checkBatch(medplum, batch, now, result);
  return result;
}

/** Checks the scheduled readings of up to a hundred patients against their latest readings. */
async function checkBatch(
  medplum: MissedReadingsClient,
  batch: ScheduledReading[],
  now: Date,
  result: MissedReadingsBotResult
): Promise<void> {
  if (batch.length === 0) {
    return;
  }
  const recent = await recentReadings(medplum, batch, now);
  for (const { carePlan, patient, schedule } of batch) {
    const codes = new Set(schedule.codes);
    let times = (recent.get(patient) ?? []).filter((r) => codes.has(r.code)).map((r) => r.time);
    if (times.length === 0) {
      times = await latestReadingTimes(medplum, patient, schedule);
    }
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

/** The batch's patients' readings of the scheduled kinds in the last RECENT_READINGS_DAYS, by patient. */
async function recentReadings(
  medplum: MissedReadingsClient,
  batch: ScheduledReading[],
  now: Date
): Promise<Map<string, { code: string; time: Date }[]>> {
  const patients = [...new Set(batch.map((b) => b.patient))];
  const codes = [...new Set(batch.flatMap((b) => b.schedule.codes))];
  const since = new Date(now.getTime() - RECENT_READINGS_DAYS * 86_400_000).toISOString();
  const byPatient = new Map<string, { code: string; time: Date }[]>();
  for await (const page of medplum.searchResourcePages('Observation', [
    ['subject', patients.join(',')],
    ['code', codes.map((c) => `${LOINC}|${c}`).join(',')],
    ['status', COUNTED_STATUSES],
    ['date', `ge${since}`],
    ['_count', '1000'],
  ])) {
    for (const observation of page) {
      const patient = observation.subject?.reference;
      const time = observationTime(observation);
      if (!patient || !time) {
        continue;
      }
      for (const coding of observation.code?.coding ?? []) {
        if (coding.system === LOINC && coding.code) {
          byPatient.set(patient, [...(byPatient.get(patient) ?? []), { code: coding.code, time }]);
        }
      }
    }
  }
  return byPatient;
}

/** The time of the patient's latest reading of this kind ever (none in the recent window). */
async function latestReadingTimes(
  medplum: MissedReadingsClient,
  patient: string,
  schedule: ReadingSchedule
): Promise<Date[]> {
  const latest = await medplum.searchResources('Observation', [
    ['subject', patient],
    ['code', schedule.codes.map((c) => `${LOINC}|${c}`).join(',')],
    ['status', COUNTED_STATUSES],
    ['_sort', '-date'],
    ['_count', '1'],
  ]);
  return latest.map(observationTime).filter((t): t is Date => t !== undefined);
}
