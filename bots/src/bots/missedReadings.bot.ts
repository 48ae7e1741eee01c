// Bot (scheduled): scans active monitoring CarePlans and raises a low-severity alert for each overdue scheduled reading.
import type { BotEvent, MedplumClient } from '@medplum/core';
import type { CarePlan, DetectedIssue } from '@medplum/fhirtypes';
import { buildAlert } from '../alerts/buildAlert.ts';
import { openNewAlerts, raiseAlertKnowingOpen } from '../alerts/raiseAlert.ts';
import type { RaiseAlertResult } from '../alerts/raiseAlert.ts';
import { CODE_SYSTEMS, IDENTIFIER_SYSTEMS, LOINC } from '../fhir/codes.ts';
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

/** The second, wider window, for scheduled readings with none in the recent one (patients who stopped measuring). */
export const LONGER_LOOKBACK_DAYS = 31;

const DAY = 86_400_000;

/**
 * Batches checked at once. The scan waits on round trips (its searches and alert writes, one after another within a
 * batch), not on CPU: on the 2-core bench machine, a 10,000-patient caseload with 4,000 new missed readings took
 * 17–21 s one batch at a time, with the server's main thread idle more than half of it.
 */
export const BATCHES_IN_FLIGHT = 3;

/** A reading's LOINC code and effective time. */
interface Reading {
  code: string;
  time: Date;
}

/** What the scan needs of MedplumClient: the bot client plus paged search. */
export type MissedReadingsClient = BotClient & Pick<MedplumClient, 'searchResourcePages' | 'executeBatch'>;

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
  const checks = batchChecks((b) => checkBatch(medplum, b, now));
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
        // A check-in (instantiatesCanonical a Questionnaire) is not a reading: the symptom check-in bot covers it.
        if (!activity.detail?.scheduledTiming || activity.detail.instantiatesCanonical?.length) {
          continue;
        }
        const schedule = readActivitySchedule(carePlan, activity);
        if (typeof schedule === 'string') {
          result.skipped.push(`CarePlan/${carePlan.id}: ${schedule}`);
          continue;
        }
        result.schedules++;
        if (!patients.has(patient) && patients.size >= PATIENTS_PER_READINGS_SEARCH) {
          await checks.add(batch);
          batch = [];
          patients.clear();
        }
        patients.add(patient);
        batch.push({ carePlan, patient, schedule });
      }
    }
  }
  await checks.add(batch);
  // In batch order, whatever order they finished in.
  for (const checked of await checks.all()) {
    result.overdue += checked.overdue;
    result.alerts.push(...checked.alerts);
  }
  return result;
}

/** What one batch found: its overdue readings and what happened to their alerts. */
type BatchResult = Pick<MissedReadingsBotResult, 'overdue' | 'alerts'>;

/**
 * Runs batch checks with at most BATCHES_IN_FLIGHT at once: `add` waits for a free place; once a check has failed it
 * starts no more, waits for those still running and throws. `all` gives every result in the order the batches were
 * added, or throws the first failure once none is running (a failed run leaves no batch writing behind it).
 */
function batchChecks(check: (batch: ScheduledReading[]) => Promise<BatchResult>) {
  const started: Promise<BatchResult>[] = [];
  const running = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  return {
    async add(batch: ScheduledReading[]): Promise<void> {
      while (running.size >= BATCHES_IN_FLIGHT && !failure) {
        await Promise.race(running);
      }
      if (failure) {
        await Promise.all(running);
        throw failure.error;
      }
      if (batch.length === 0) {
        return;
      }
      const checked = check(batch);
      started.push(checked);
      const settled: Promise<void> = checked.then(
        () => undefined,
        (error: unknown) => {
          failure ??= { error };
        }
      );
      running.add(settled);
      void settled.then(() => running.delete(settled));
    },
    async all(): Promise<BatchResult[]> {
      const settled = await Promise.allSettled(started);
      const failed = settled.find((r) => r.status === 'rejected');
      if (failed) {
        throw failed.reason;
      }
      return settled.map((r) => (r as PromiseFulfilledResult<BatchResult>).value);
    },
  };
}

/** Checks the scheduled readings of up to a hundred patients against their latest readings. */
async function checkBatch(medplum: MissedReadingsClient, batch: ScheduledReading[], now: Date): Promise<BatchResult> {
  const result: BatchResult = { overdue: 0, alerts: [] };
  const recent = await readingsSince(medplum, batch, new Date(now.getTime() - RECENT_READINGS_DAYS * DAY));
  const readingTimes = (readings: Map<string, Reading[]>, { patient, schedule }: ScheduledReading): Date[] => {
    const codes = new Set(schedule.codes);
    return (readings.get(patient) ?? []).filter((r) => codes.has(r.code)).map((r) => r.time);
  };
  // Scheduled readings with none in the recent window need the latest reading before it: first from a month's window
  // for the lot; for those silent even that long, one search says whether any of them ever took such a reading (new
  // patients whose devices have not arrived have none: then none is the exact answer); only if some did are they
  // looked up one by one.
  const lacking = batch.filter((s) => readingTimes(recent, s).length === 0);
  const month =
    lacking.length > 0
      ? await readingsSince(medplum, lacking, new Date(now.getTime() - LONGER_LOOKBACK_DAYS * DAY))
      : new Map<string, Reading[]>();
  const silent = new Set(lacking.filter((s) => readingTimes(month, s).length === 0));
  const someOlder = silent.size > 0 && (await anyReadings(medplum, [...silent]));
  const overdue: { scheduled: ScheduledReading; alert: DetectedIssue }[] = [];
  for (const scheduled of batch) {
    const { carePlan, patient, schedule } = scheduled;
    let times = readingTimes(recent, scheduled);
    if (times.length === 0) {
      times = readingTimes(month, scheduled);
    }
    if (times.length === 0 && silent.has(scheduled) && someOlder) {
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
    overdue.push({ scheduled, alert });
  }
  if (overdue.length === 0) {
    return result;
  }
  const open = await openMissedReadingAlerts(medplum, [...new Set(overdue.map((o) => o.scheduled.patient))]);
  const openOf = ({ alert }: { alert: DetectedIssue }) => open.get(alert.identifier?.[0]?.value ?? '');
  const outcomes = new Map<DetectedIssue, RaiseAlertResult['outcome']>();
  const fresh = overdue.filter((o) => !openOf(o));
  (
    await openNewAlerts(
      medplum,
      fresh.map((o) => o.alert)
    )
  ).forEach((r, i) => outcomes.set(fresh[i].alert, r.outcome));
  for (const item of overdue.filter((o) => openOf(o))) {
    outcomes.set(item.alert, (await raiseAlertKnowingOpen(medplum, item.alert, openOf(item))).outcome);
  }
  for (const { scheduled, alert } of overdue) {
    const outcome = outcomes.get(alert) as RaiseAlertResult['outcome'];
    result.alerts.push({ patient: scheduled.patient, code: scheduled.schedule.codes[0], outcome });
  }
  return result;
}

/** The open missed-reading alerts of these patients, by identifier value (the oldest, when there are several). */
async function openMissedReadingAlerts(
  medplum: MissedReadingsClient,
  patients: string[]
): Promise<Map<string, DetectedIssue>> {
  const open = new Map<string, DetectedIssue>();
  for await (const page of medplum.searchResourcePages('DetectedIssue', [
    ['patient', patients.join(',')],
    ['code', `${CODE_SYSTEMS.alertRule}|missed-reading`],
    ['status', 'preliminary'],
    ['_count', '1000'],
  ])) {
    for (const alert of page) {
      const value = alert.identifier?.find((i) => i.system === IDENTIFIER_SYSTEMS.alert)?.value;
      const known = value ? open.get(value) : undefined;
      if (value && (!known || (alert.identifiedDateTime ?? '') < (known.identifiedDateTime ?? ''))) {
        open.set(value, alert);
      }
    }
  }
  return open;
}

/** The batch's patients' readings of the scheduled kinds since `since`, by patient. */
async function readingsSince(
  medplum: MissedReadingsClient,
  batch: ScheduledReading[],
  since: Date
): Promise<Map<string, Reading[]>> {
  const patients = [...new Set(batch.map((b) => b.patient))];
  const codes = [...new Set(batch.flatMap((b) => b.schedule.codes))];
  const byPatient = new Map<string, Reading[]>();
  for await (const page of medplum.searchResourcePages('Observation', [
    ['subject', patients.join(',')],
    ['code', codes.map((c) => `${LOINC}|${c}`).join(',')],
    ['status', COUNTED_STATUSES],
    ['date', `ge${since.toISOString()}`],
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

/** Whether any of these patients ever took a reading of any of their scheduled kinds (one search, one result). */
async function anyReadings(medplum: MissedReadingsClient, batch: ScheduledReading[]): Promise<boolean> {
  const found = await medplum.searchResources('Observation', [
    ['subject', [...new Set(batch.map((b) => b.patient))].join(',')],
    ['code', [...new Set(batch.flatMap((b) => b.schedule.codes))].map((c) => `${LOINC}|${c}`).join(',')],
    ['status', COUNTED_STATUSES],
    ['_count', '1'],
  ]);
  return found.length > 0;
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
