// Loads the signed-in clinician's caseload as worklist rows: a few FHIR searches for the whole caseload, not per patient.
import type { MedplumClient, WithId } from '@medplum/core';
import type { Bundle, CarePlan, Resource, CareTeam, DetectedIssue, Patient, PlanDefinition } from '@medplum/fhirtypes';
import { news2Of, patientIdOf } from '../fhir/readings.ts';
import { searchForPatients } from '../fhir/searchInChunks.ts';
import { displayName } from '../patient/patientDetails.ts';
import { compareAcuity, highestSeverity, type Acuity } from './acuity.ts';
import { groupByPatient, latestReadings, newest } from './latestReadings.ts';
import { overdueReadings, type OverdueReadings } from './overdueReadings.ts';

export interface WorklistRow {
  patient: WithId<Patient>;
  acuity: Acuity;
  /** When the newest vital sign was taken. */
  lastReading?: string;
  /** The monitoring programme(s) the patient is enrolled in (CarePlan → PlanDefinition title). */
  programme?: string;
  careTeam?: string;
  /** The monitoring schedule's readings now overdue (overdueReadings.ts). */
  overdue?: OverdueReadings;
}

const MAX_PER_SEARCH = '1000';

function entries<T>(bundle: Bundle, resourceType: string): WithId<T>[] {
  return (bundle.entry ?? [])
    .map((e) => e.resource as Resource | undefined)
    .filter((r) => r?.resourceType === resourceType) as unknown as WithId<T>[];
}

/** The caseload: patients of the practitioner's active care teams; for any other user, the patients they can see. */
async function caseload(
  medplum: MedplumClient,
  fhirUser: string | undefined
): Promise<{ patients: WithId<Patient>[]; careTeams: Map<string, string> }> {
  const careTeams = new Map<string, string>();
  if (!fhirUser?.startsWith('Practitioner/')) {
    const bundle = await medplum.search('Patient', { _count: MAX_PER_SEARCH });
    return { patients: entries<Patient>(bundle, 'Patient'), careTeams };
  }
  const bundle = await medplum.search('CareTeam', {
    participant: fhirUser,
    status: 'active',
    _include: 'CareTeam:subject',
    _count: MAX_PER_SEARCH,
  });
  for (const team of entries<CareTeam>(bundle, 'CareTeam')) {
    const id = patientIdOf(team.subject);
    if (id && team.name && !careTeams.has(id)) {
      careTeams.set(id, team.name);
    }
  }
  return { patients: entries<Patient>(bundle, 'Patient'), careTeams };
}

/**
 * Programme titles by patient (active CarePlans and the PlanDefinitions they instantiate, canonical include), and
 * the CarePlans themselves (their schedules).
 */
async function programmes(
  medplum: MedplumClient,
  patientIds: string[]
): Promise<{ titles: Map<string, string>; plans: Map<string, CarePlan[]> }> {
  const resources = await searchForPatients(medplum, 'CarePlan', 'subject', patientIds, {
    status: 'active',
    _count: MAX_PER_SEARCH,
  });
  // The programmes' titles in one search by url (a few programmes for the whole caseload). Not
  // `_include=CarePlan:instantiates-canonical`: resolving a canonical per CarePlan made each chunk take seconds.
  const urls = [
    ...new Set(
      resources.flatMap((r) => (r.resourceType === 'CarePlan' ? ((r as CarePlan).instantiatesCanonical ?? []) : []))
    ),
  ];
  const definitions = urls.length
    ? entries<PlanDefinition>(
        await medplum.search('PlanDefinition', { url: urls.join(','), _elements: 'url,title,name', _count: '100' }),
        'PlanDefinition'
      )
    : [];
  const titles = new Map<string, string>();
  for (const plan of definitions) {
    if (plan.url) {
      titles.set(plan.url, plan.title ?? plan.name ?? plan.url);
    }
  }
  const byPatient = new Map<string, string>();
  const plans = groupByPatient(
    resources.filter((r): r is WithId<CarePlan> => r.resourceType === 'CarePlan'),
    (plan) => patientIdOf(plan.subject)
  );
  for (const [id, patientPlans] of plans) {
    for (const plan of patientPlans) {
      const names = (plan.instantiatesCanonical ?? []).map((url) => titles.get(url) ?? plan.title ?? url);
      if (names.length) {
        byPatient.set(id, [byPatient.get(id), ...names].filter(Boolean).join(', '));
      }
    }
  }
  return { titles: byPatient, plans };
}

/** Worklist rows of these patients (their alerts, NEWS2, readings and programmes), unsorted. */
async function rowsFor(
  medplum: MedplumClient,
  patients: WithId<Patient>[],
  careTeams: ReadonlyMap<string, string>
): Promise<WorklistRow[]> {
  const ids = patients.map((p) => p.id);
  if (ids.length === 0) {
    return [];
  }
  const [alerts, readings, programmeNames] = await Promise.all([
    searchForPatients(medplum, 'DetectedIssue', 'patient', ids, { status: 'preliminary', _count: MAX_PER_SEARCH }),
    latestReadings(medplum, ids),
    programmes(medplum, ids),
  ]);
  const alertsByPatient = groupByPatient(alerts as DetectedIssue[], (a) => patientIdOf(a.patient));
  const now = new Date();
  return patients.map((patient): WorklistRow => {
    const open = alertsByPatient.get(patient.id) ?? [];
    const latestNews2 = newest(readings.news2.get(patient.id));
    return {
      patient,
      acuity: {
        alertSeverity: highestSeverity(open),
        openAlerts: open.length,
        news2: latestNews2 ? news2Of(latestNews2) : undefined,
      },
      lastReading: readings.lastReading.get(patient.id),
      programme: programmeNames.titles.get(patient.id),
      careTeam: careTeams.get(patient.id),
      overdue: overdueReadings(programmeNames.plans.get(patient.id) ?? [], readings.recent.get(patient.id) ?? [], now),
    };
  });
}

/** Names compare as localeCompare does, through one collator (localeCompare builds one per call). */
const names = new Intl.Collator();

function byAcuity(rows: WorklistRow[]): WorklistRow[] {
  const name = new Map(rows.map((row) => [row, displayName(row.patient)]));
  return rows.sort(
    (a, b) => compareAcuity(a.acuity, b.acuity) || names.compare(name.get(a) as string, name.get(b) as string)
  );
}

/** The worklist of the clinician's caseload, most acute first. */
export async function loadCaseload(medplum: MedplumClient, fhirUser: string | undefined): Promise<WorklistRow[]> {
  const { patients, careTeams } = await caseload(medplum, fhirUser);
  return byAcuity(await rowsFor(medplum, patients, careTeams));
}

/**
 * The worklist with the rows of `patientIds` loaded again (after a live notification: a few searches for those
 * patients only), in acuity order. Patients not on the worklist are ignored; the caseload itself is not re-read.
 */
export async function refreshRows(
  medplum: MedplumClient,
  rows: readonly WorklistRow[],
  patientIds: ReadonlySet<string>
): Promise<WorklistRow[]> {
  const stale = rows.filter((row) => patientIds.has(row.patient.id));
  const careTeams = new Map(stale.map((row) => [row.patient.id, row.careTeam ?? '']));
  const fresh = new Map(
    (
      await rowsFor(
        medplum,
        stale.map((row) => row.patient),
        careTeams
      )
    ).map((row) => [row.patient.id, { ...row, careTeam: row.careTeam || undefined }])
  );
  return byAcuity(rows.map((row) => fresh.get(row.patient.id) ?? row));
}

/**
 * Whether the patients of the Practitioner's active care teams are no longer those on the worklist: one light search
 * (the teams' subjects only), so the whole caseload is loaded again only when it changed.
 */
export async function caseloadChanged(
  medplum: MedplumClient,
  fhirUser: string | undefined,
  rows: readonly WorklistRow[]
): Promise<boolean> {
  if (!fhirUser?.startsWith('Practitioner/')) {
    return false;
  }
  const bundle = await medplum.search('CareTeam', {
    participant: fhirUser,
    status: 'active',
    _elements: 'subject',
    _count: MAX_PER_SEARCH,
  });
  const now = new Set(entries<CareTeam>(bundle, 'CareTeam').map((team) => patientIdOf(team.subject)));
  now.delete(undefined);
  const shown = new Set(rows.map((row) => row.patient.id));
  return now.size !== shown.size || [...now].some((id) => !shown.has(id as string));
}
