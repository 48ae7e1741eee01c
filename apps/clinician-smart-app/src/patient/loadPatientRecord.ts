// Loads what the patient view shows: the patient, 30 days of vital signs and NEWS2, their alerts and programme.
import type { MedplumClient, WithId } from '@medplum/core';
import type { CarePlan, DetectedIssue, Observation, Patient, PlanDefinition, Resource } from '@medplum/fhirtypes';
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
}

const DAYS_SHOWN = 30;

async function programmeOf(medplum: MedplumClient, patientId: string): Promise<string | undefined> {
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
  return names.length ? [...new Set(names)].join(', ') : undefined;
}

export async function loadPatientRecord(medplum: MedplumClient, patientId: string): Promise<PatientRecord> {
  const since = new Date(Date.now() - DAYS_SHOWN * 86_400_000).toISOString();
  const [patient, readings, news2, alerts, programme] = await Promise.all([
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
  return { patient, readings: [...readings], news2: [...news2], alerts: [...alerts], programme };
}
