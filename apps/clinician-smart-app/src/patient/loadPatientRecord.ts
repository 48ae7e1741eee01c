// Loads what the patient view shows: the patient, 30 days of vital signs and NEWS2, alerts, programme and thresholds.
import type { MedplumClient, WithId } from '@medplum/core';
import type { CarePlan, DetectedIssue, Goal, Observation, Patient, PlanDefinition, Resource } from '@medplum/fhirtypes';
import { NEWS2_TOTAL_CODE, SNOMED } from '../fhir/codes.ts';

export interface PatientRecord {
  patient: WithId<Patient>;
  /** Vital signs of the last 30 days, newest first. */
  readings: WithId<Observation>[];
  /** NEWS2 scores of the last 30 days, newest first. */
  news2: WithId<Observation>[];
  /** The patient's alerts, newest first (open and closed). */
  alerts: WithId<DetectedIssue>[];
  programme?: string;
  monitoring: MonitoringPlan;
}

/** The patient's monitoring: the CarePlan in force, its programme and the threshold Goals it lists. */
export interface MonitoringPlan {
  /** The most recently updated active CarePlan that instantiates a programme (the one the alert bots use). */
  carePlan?: WithId<CarePlan>;
  /** The programme's PlanDefinition (default thresholds and schedule), when readable. */
  programme?: PlanDefinition;
  /** Every Goal of the patient (threshold overrides, current and retired). */
  goals: WithId<Goal>[];
}

/** The Goals the CarePlan lists: the overrides the bots apply (bots/src/bots/monitoringContext.ts). */
export function listedGoals(monitoring: MonitoringPlan): WithId<Goal>[] {
  const listed = new Set((monitoring.carePlan?.goal ?? []).map((g) => g.reference));
  return monitoring.goals.filter((g) => listed.has(`Goal/${g.id}`));
}

/** As the bots choose it: active, instantiates a programme, period not ended; the most recently updated wins. */
export function monitoringCarePlan(carePlans: readonly WithId<CarePlan>[], now: number): WithId<CarePlan> | undefined {
  return carePlans
    .filter((c) => {
      const end = c.period?.end ? Date.parse(c.period.end) : NaN;
      return c.status === 'active' && (c.instantiatesCanonical?.length ?? 0) > 0 && (Number.isNaN(end) || end > now);
    })
    .sort((a, b) => ((a.meta?.lastUpdated ?? '') < (b.meta?.lastUpdated ?? '') ? 1 : -1))[0];
}

const DAYS_SHOWN = 30;

async function programmeOf(
  medplum: MedplumClient,
  patientId: string
): Promise<{ programme?: string; monitoring: MonitoringPlan }> {
  const bundle = await medplum.search('CarePlan', {
    subject: `Patient/${patientId}`,
    status: 'active',
    _include: 'CarePlan:instantiates-canonical',
    _count: '20',
  });
  const resources = (bundle.entry ?? []).map((e) => e.resource as Resource | undefined);
  const plans = resources.filter((r): r is PlanDefinition => r?.resourceType === 'PlanDefinition');
  const names = resources
    .filter((r): r is CarePlan => r?.resourceType === 'CarePlan')
    .flatMap((carePlan) =>
      (carePlan.instantiatesCanonical ?? []).map((url) => {
        const plan = plans.find((p) => p.url === url);
        return plan?.title ?? plan?.name ?? carePlan.title ?? url;
      })
    );
  const carePlan = monitoringCarePlan(
    resources.filter((r): r is WithId<CarePlan> => r?.resourceType === 'CarePlan'),
    Date.now()
  );
  const url = carePlan?.instantiatesCanonical?.[0]?.split('|')[0];
  const goals = await medplum.searchResources('Goal', { subject: `Patient/${patientId}`, _count: '200' });
  return {
    programme: names.length ? [...new Set(names)].join(', ') : undefined,
    monitoring: { carePlan, programme: plans.find((p) => p.url === url), goals: [...goals] },
  };
}

export async function loadPatientRecord(medplum: MedplumClient, patientId: string): Promise<PatientRecord> {
  const since = new Date(Date.now() - DAYS_SHOWN * 86_400_000).toISOString();
  const [patient, readings, news2, alerts, { programme, monitoring }] = await Promise.all([
    medplum.readResource('Patient', patientId),
    medplum.searchResources('Observation', {
      subject: `Patient/${patientId}`,
      category: 'vital-signs',
      date: `ge${since}`,
      _sort: '-date',
      _count: '1000',
    }),
    medplum.searchResources('Observation', {
      subject: `Patient/${patientId}`,
      code: `${SNOMED}|${NEWS2_TOTAL_CODE}`,
      date: `ge${since}`,
      _sort: '-date',
      _count: '200',
    }),
    medplum.searchResources('DetectedIssue', {
      patient: `Patient/${patientId}`,
      _sort: '-identified',
      _count: '50',
    }),
    programmeOf(medplum, patientId),
  ]);
  return { patient, readings: [...readings], news2: [...news2], alerts: [...alerts], programme, monitoring };
}
