// Loads what the handlers need about a patient's monitoring: the active CarePlan, its programme, overrides and SpO2 scale.
import type { MedplumClient } from '@medplum/core';
import type { CarePlan, Goal, Observation, PlanDefinition } from '@medplum/fhirtypes';
import { EXTENSIONS } from '../fhir/codes.ts';
import type { Spo2Scale } from '../rules/news2/scoreNews2.ts';

/** The MedplumClient methods the handlers call (so a test can stand in for the few of them). */
export type BotClient = Pick<MedplumClient, 'searchResources' | 'createResourceIfNoneExist' | 'updateResource'>;

export interface MonitoringContext {
  carePlan: CarePlan;
  /** The programme the CarePlan instantiates; absent when the server does not have it. */
  programme?: PlanDefinition;
  /** The Goals the CarePlan lists (threshold overrides); resolveThresholds keeps the active ones. */
  overrides: Goal[];
  /** 2 only when the CarePlan carries the clinician-set extension rpm-news2-spo2-scale = 2. */
  spo2Scale: Spo2Scale;
}

/** "Patient/<id>" of an Observation's subject, or undefined when the subject is not a literal Patient reference. */
export function subjectPatient(observation: Observation): string | undefined {
  const reference = observation.subject?.reference;
  return reference && /^Patient\/[A-Za-z0-9\-.]{1,64}$/.test(reference) ? reference : undefined;
}

/** The NEWS2 SpO2 scale a CarePlan sets (1 unless the extension says 2). */
export function spo2ScaleOf(carePlan: CarePlan | undefined): Spo2Scale {
  const value = carePlan?.extension?.find((e) => e.url === EXTENSIONS.news2Spo2Scale)?.valueInteger;
  return value === 2 ? 2 : 1;
}

/** True when a monitoring CarePlan is in force at `now` (active, instantiates a programme, period not ended). */
export function isMonitoringCarePlan(carePlan: CarePlan, now: Date): boolean {
  const end = carePlan.period?.end ? Date.parse(carePlan.period.end) : undefined;
  return (
    carePlan.status === 'active' &&
    (carePlan.instantiatesCanonical?.length ?? 0) > 0 &&
    (end === undefined || Number.isNaN(end) || end > now.getTime())
  );
}

/** How long a programme's PlanDefinition (its default thresholds) is reused by the runs of one bot worker. */
export const PROGRAMME_CACHE_MS = 30_000;

const programmes = new Map<string, { programme: PlanDefinition | undefined; until: number }>();

/**
 * The programme a CarePlan instantiates. Programme defaults change rarely and only through clinical governance, so
 * a bot reuses one for 30 s instead of reading it for every reading (patient CarePlans and Goals, which clinicians
 * change, are read on every run). Only real clients are cached, keyed by server (test fakes have no base URL).
 */
async function readProgramme(medplum: BotClient, url: string): Promise<PlanDefinition | undefined> {
  const server = (medplum as { getBaseUrl?: () => string }).getBaseUrl?.();
  const key = `${server} ${url}`;
  const cached = server ? programmes.get(key) : undefined;
  if (cached && cached.until > Date.now()) {
    return cached.programme;
  }
  const programme = (await medplum.searchResources('PlanDefinition', { url }))[0];
  if (server) {
    programmes.set(key, { programme, until: Date.now() + PROGRAMME_CACHE_MS });
  }
  return programme;
}

/**
 * The patient's monitoring context, or undefined when the patient has no active monitoring CarePlan. With several,
 * the most recently updated is used (one programme per patient is assumed).
 */
export async function loadMonitoringContext(
  medplum: BotClient,
  patient: string,
  now: Date
): Promise<MonitoringContext | undefined> {
  const carePlans = (await medplum.searchResources('CarePlan', { subject: patient, status: 'active' }))
    .filter((c) => isMonitoringCarePlan(c, now))
    .sort((a, b) => ((a.meta?.lastUpdated ?? '') < (b.meta?.lastUpdated ?? '') ? 1 : -1));
  const carePlan = carePlans[0];
  if (!carePlan) {
    return undefined;
  }
  const url = (carePlan.instantiatesCanonical?.[0] ?? '').split('|')[0];
  const programme = await readProgramme(medplum, url);
  const goalIds = (carePlan.goal ?? [])
    .map((g) => g.reference ?? '')
    .filter((r) => r.startsWith('Goal/'))
    .map((r) => r.slice('Goal/'.length));
  const overrides = goalIds.length ? await medplum.searchResources('Goal', { _id: goalIds.join(',') }) : [];
  return {
    carePlan,
    programme,
    overrides: overrides.filter((g) => g.subject?.reference === patient),
    spo2Scale: spo2ScaleOf(carePlan),
  };
}
