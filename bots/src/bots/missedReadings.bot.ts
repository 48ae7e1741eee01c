// Bot (scheduled): a low alert for each overdue scheduled reading; a large caseload is split into queued runs.
import type { BotEvent, MedplumClient } from '@medplum/core';
import type { CarePlan, DetectedIssue, OperationOutcome, Parameters } from '@medplum/fhirtypes';
import { alertIdentifier, buildAlert } from '../alerts/buildAlert.ts';
import { openNewAlerts, raiseAlertKnowingOpen } from '../alerts/raiseAlert.ts';
import type { RaiseAlertResult } from '../alerts/raiseAlert.ts';
import { CODE_SYSTEMS, IDENTIFIER_SYSTEMS, LOINC } from '../fhir/codes.ts';
import { observationTime } from '../fhir/vitalSigns.ts';
import { checkMissedReading } from '../rules/missedReadings/checkMissedReading.ts';
import { readActivitySchedule, type ReadingSchedule } from '../rules/missedReadings/readingSchedule.ts';
import { isMonitoringCarePlan } from './monitoringContext.ts';
import type { BotClient } from './monitoringContext.ts';
import { UrgentFirst } from './urgentFirst.ts';

/**
 * What a run returns (a queued run's AsyncJob keeps it, every 15 minutes): the alerts it opened or changed, listed,
 * and only the number of those found open and left as they were, which in the steady state are all of them.
 */
export type MissedReadingsReport = MissedReadingsBotResult & { unchanged: number };

/** What a scheduled run that split the caseload did: the runs it queued, one AsyncJob each. */
export interface MissedReadingsSplit {
  carePlans: number;
  patients: number;
  /** The queued runs' status URLs (`job/[id]/status`, the Content-Location of each 202), in caseload order. */
  queued: string[];
}

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

/**
 * Patients one run checks. A scheduled run whose caseload is larger checks none itself: it queues runs of this bot
 * of this many patients each (scanOrSplit). A run must fit the bot time limit (RPM_BOT_TIMEOUT_MS, 10 s): 500
 * patients who never took a reading are 2,000 new alerts, which took 1–4 s on the 2-core bench machine. Under heavy
 * load such a run can outlast a lowered 4 s limit (seen in CI); its retries finish the work, since runs are idempotent.
 */
export const PATIENTS_PER_RUN = 500;

/** CarePlans a queued run reads with one search, by id (about 4 kB of URL). */
const CARE_PLANS_PER_READ = 100;

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
 * Batch tasks (look-ups and checks) run at once. The scan waits on round trips (its searches and alert writes, one
 * after another within a batch), not on CPU: on the 2-core bench machine, a 10,000-patient caseload with 4,000 new
 * missed readings took 17–21 s one batch at a time, with the server's main thread idle more than half of it.
 */
export const BATCHES_IN_FLIGHT = 3;

/** A reading's LOINC code and effective time. */
interface Reading {
  code: string;
  time: Date;
}

/** What the scan needs of MedplumClient: the bot client plus paged search. */
export type MissedReadingsClient = BotClient &
  Pick<MedplumClient, 'searchResourcePages' | 'executeBatch' | 'executeBot'>;

const COUNTED_STATUSES = 'final,amended,corrected,preliminary';

/**
 * Medplum bot entry point, run on a schedule (e.g. every 15 minutes; any input but a slice): scans the caseload, or
 * splits it into queued runs when it is larger than PATIENTS_PER_RUN. A queued run's input is a slice (sliceInput):
 * it checks those CarePlans.
 */
export async function handler(
  medplum: MedplumClient,
  event: BotEvent
): Promise<MissedReadingsReport | MissedReadingsSplit> {
  return runMissedReadings(medplum, event, new Date());
}

/** The handler's work, with the clock given (tests). */
export async function runMissedReadings(
  medplum: MissedReadingsClient,
  event: Pick<BotEvent, 'bot' | 'input'>,
  now: Date
): Promise<MissedReadingsReport | MissedReadingsSplit> {
  const slice = carePlansOfSlice(event.input);
  const result = slice
    ? await scanMissedReadings(medplum, now, carePlansById(medplum, slice))
    : await scanOrSplit(medplum, event.bot.reference ?? '', now);
  if ('queued' in result) {
    return result;
  }
  const changed = result.alerts.filter((a) => a.outcome !== 'unchanged');
  return { ...result, alerts: changed, unchanged: result.alerts.length - changed.length };
}

/** The input of a queued run: the CarePlans it checks, as `carePlan` references. */
export function sliceInput(carePlanIds: string[]): Parameters {
  return {
    resourceType: 'Parameters',
    parameter: carePlanIds.map((id) => ({ name: 'carePlan', valueReference: { reference: `CarePlan/${id}` } })),
  };
}

/** The CarePlan ids of a slice input; undefined when the input is not one (a scheduled run's, say). */
export function carePlansOfSlice(input: unknown): string[] | undefined {
  const parameters = input as Parameters | undefined;
  const named =
    parameters?.resourceType === 'Parameters' ? parameters.parameter?.filter((p) => p.name === 'carePlan') : [];
  if (!named?.length) {
    return undefined;
  }
  return named
    .map((p) => /^CarePlan\/([A-Za-z0-9\-.]{1,64})$/.exec(p.valueReference?.reference ?? '')?.[1])
    .filter((id): id is string => id !== undefined);
}

/** Every active CarePlan, page by page. */
function activeCarePlans(medplum: MissedReadingsClient): AsyncIterable<CarePlan[]> {
  return medplum.searchResourcePages('CarePlan', [
    ['status', 'active'],
    ['_count', String(CARE_PLAN_PAGE_SIZE)],
  ]);
}

/**
 * What the scheduled run reads of each CarePlan (`_elements`): whose it is and whether it monitors now
 * (isMonitoringCarePlan), not its activities, which make up most of a CarePlan and which only the check needs.
 */
const OUTLINE_ELEMENTS = 'subject,status,instantiatesCanonical,period';

/** CarePlan outlines read per page: the server's largest page. */
export const OUTLINE_PAGE_SIZE = 1000;

/** Every active CarePlan in outline (OUTLINE_ELEMENTS), page by page. */
function activeCarePlanOutlines(medplum: MissedReadingsClient): AsyncIterable<CarePlan[]> {
  return medplum.searchResourcePages('CarePlan', [
    ['status', 'active'],
    ['_elements', OUTLINE_ELEMENTS],
    ['_count', String(OUTLINE_PAGE_SIZE)],
    // No count of every match on the first page; the next links page by id (_cursor), each page costing the same.
    ['_total', 'none'],
  ]);
}

/** These CarePlans as they are now, those still active, a hundred per search. */
async function* carePlansById(medplum: MissedReadingsClient, ids: string[]): AsyncIterable<CarePlan[]> {
  for (let first = 0; first < ids.length; first += CARE_PLANS_PER_READ) {
    const chunk = ids.slice(first, first + CARE_PLANS_PER_READ);
    yield await medplum.searchResources('CarePlan', [
      ['_id', chunk.join(',')],
      ['status', 'active'],
      ['_count', String(chunk.length)],
    ]);
  }
}

/**
 * The scheduled run. Reads every active CarePlan in outline (whose, and whether it monitors now: OUTLINE_ELEMENTS);
 * a caseload of at most PATIENTS_PER_RUN patients is then read in full and checked here and now. A larger one is
 * split, in CarePlan order, into slices of PATIENTS_PER_RUN patients (a patient's CarePlans all in one slice), each
 * queued as a run of this bot (`$execute` with `Prefer: respond-async`): the server runs a bot's queued runs one at
 * a time, each with its own time limit, retries and AuditEvent. So the caseload's size is bounded by the outline
 * pages one run can read (10 pages of 1,000 for 10,000 patients), not by what one run can check. Only ids are kept.
 */
async function scanOrSplit(
  medplum: MissedReadingsClient,
  bot: string,
  now: Date
): Promise<MissedReadingsBotResult | MissedReadingsSplit> {
  const carePlansOf = new Map<string, string[]>();
  let carePlans = 0;
  for await (const page of activeCarePlanOutlines(medplum)) {
    for (const carePlan of page.filter((c) => isMonitoringCarePlan(c, now))) {
      const patient = carePlan.subject?.reference;
      if (!patient?.startsWith('Patient/') || !carePlan.id) {
        continue;
      }
      carePlans++;
      carePlansOf.set(patient, [...(carePlansOf.get(patient) ?? []), carePlan.id]);
    }
  }
  const patients = [...carePlansOf.values()];
  if (patients.length <= PATIENTS_PER_RUN) {
    return scanMissedReadings(medplum, now, carePlansById(medplum, patients.flat()));
  }
  const queued: string[] = [];
  for (let first = 0; first < patients.length; first += PATIENTS_PER_RUN) {
    const outcome = (await medplum.executeBot(
      bot.replace(/^Bot\//, ''),
      sliceInput(patients.slice(first, first + PATIENTS_PER_RUN).flat()),
      'application/fhir+json',
      { headers: { Prefer: 'respond-async' } }
    )) as OperationOutcome;
    queued.push(outcome.issue?.[0]?.diagnostics ?? '');
  }
  return { carePlans, patients: patients.length, queued };
}

/** One scheduled reading of one patient's monitoring CarePlan. */
interface ScheduledReading {
  carePlan: CarePlan;
  patient: string;
  schedule: ReadingSchedule;
}

/**
 * The order of a batch's tasks (UrgentFirst). A batch with a scheduled reading that has no open alert yet may need a
 * new alert: its check goes first, then the look-ups that tell the batches apart. Batches whose every scheduled
 * reading already has an open alert, whose check can at most update one, are checked once nothing else is waiting or
 * running. So when a caseload outgrows the bot's time limit, each cut-off run still opens alerts nobody has been told
 * about, instead of spending its time re-checking the patients an earlier run already alerted; the next runs finish
 * it, and no patient stays unchecked for ever behind the others.
 */
const URGENCY = { unalerted: 0, lookUp: 1 } as const;

/**
 * The check of one run, with the clock given (tests): every active CarePlan, page by page, unless the CarePlans are
 * given. Per hundred patients, their open missed-reading alerts are looked up, then their latest readings fetched,
 * so a caseload of thousands costs tens of searches, not thousands. BATCHES_IN_FLIGHT tasks run at once, the most
 * urgent first (URGENCY); results keep the batches' order.
 */
export async function scanMissedReadings(
  medplum: MissedReadingsClient,
  now: Date,
  carePlanPages: AsyncIterable<CarePlan[]> | Iterable<CarePlan[]> = activeCarePlans(medplum)
): Promise<MissedReadingsBotResult> {
  const result: MissedReadingsBotResult = { carePlans: 0, schedules: 0, overdue: 0, alerts: [], skipped: [] };
  const tasks = new UrgentFirst(BATCHES_IN_FLIGHT);
  const checked: BatchResult[] = [];
  const addBatch = (batch: ScheduledReading[]): void => {
    if (batch.length === 0) {
      return;
    }
    const index = checked.push({ overdue: 0, alerts: [] }) - 1;
    tasks.add(URGENCY.lookUp, async () => {
      const open = await openMissedReadingAlerts(medplum, [...new Set(batch.map((s) => s.patient))]);
      const alerted = batch.every((s) => open.has(alertIdentifierOf(s)));
      const check = async () => {
        checked[index] = await checkBatch(medplum, batch, open, now);
      };
      if (alerted) {
        tasks.addLast(check);
      } else {
        tasks.add(URGENCY.unalerted, check);
      }
    });
  };
  let batch: ScheduledReading[] = [];
  const patients = new Set<string>();
  for await (const page of carePlanPages) {
    if (tasks.failed) {
      break; // thrown below, once the running tasks have finished
    }
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
          addBatch(batch);
          batch = [];
          patients.clear();
        }
        patients.add(patient);
        batch.push({ carePlan, patient, schedule });
      }
    }
  }
  addBatch(batch);
  await tasks.finished();
  for (const done of checked) {
    result.overdue += done.overdue;
    result.alerts.push(...done.alerts);
  }
  return result;
}

/** What one batch found: its overdue readings and what happened to their alerts. */
type BatchResult = Pick<MissedReadingsBotResult, 'overdue' | 'alerts'>;

/** The identifier value of the alert a scheduled reading raises when it is overdue. */
function alertIdentifierOf({ patient, schedule }: ScheduledReading): string {
  return alertIdentifier('missed-reading', { reference: patient }, schedule.codes[0]).value ?? '';
}

/**
 * Checks the scheduled readings of up to a hundred patients against their latest readings; `open` holds their open
 * missed-reading alerts (openMissedReadingAlerts), which an overdue reading updates, or else a new one is opened.
 */
async function checkBatch(
  medplum: MissedReadingsClient,
  batch: ScheduledReading[],
  open: Map<string, DetectedIssue>,
  now: Date
): Promise<BatchResult> {
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
