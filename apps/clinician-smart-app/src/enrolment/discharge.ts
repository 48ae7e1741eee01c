// Discharge from remote monitoring: monitoring CarePlans completed, care teams ended (one transaction), alerts closed.
import type { MedplumClient } from '@medplum/core';
import type { Bundle, CarePlan, CareTeam, DetectedIssue } from '@medplum/fhirtypes';
import { resolveAlert } from '../alerts/alertOperations.ts';

export interface DischargeState {
  carePlans: CarePlan[];
  careTeams: CareTeam[];
  openAlerts: DetectedIssue[];
}

const entriesOf = <T>(bundle: Bundle, type: string): T[] =>
  (bundle.entry ?? []).map((e) => e.resource).filter((r) => r?.resourceType === type) as T[];

/** The patient's active CarePlans and CareTeams, and their open alerts (three searches). */
export async function loadDischargeState(medplum: MedplumClient, patientId: string): Promise<DischargeState> {
  const patient = `Patient/${patientId}`;
  const [plans, teams, alerts] = await Promise.all([
    medplum.search('CarePlan', { subject: patient, status: 'active', _count: '100' }),
    medplum.search('CareTeam', { subject: patient, status: 'active', _count: '100' }),
    medplum.search('DetectedIssue', { patient, status: 'preliminary', _count: '100' }),
  ]);
  return {
    carePlans: entriesOf<CarePlan>(plans as Bundle, 'CarePlan'),
    careTeams: entriesOf<CareTeam>(teams as Bundle, 'CareTeam'),
    openAlerts: entriesOf<DetectedIssue>(alerts as Bundle, 'DetectedIssue'),
  };
}

/**
 * One transaction: every active CarePlan `completed` and every active CareTeam `inactive`, both with `period.end`
 * now; each update conditional on the version read (If-Match), so a change made meanwhile fails the whole discharge.
 */
export function dischargeBundle(state: DischargeState, now: Date): Bundle {
  const end = now.toISOString();
  const update = <T extends CarePlan | CareTeam>(resource: T, status: T['status']) => ({
    resource: { ...resource, status, period: { ...resource.period, end } },
    request: {
      method: 'PUT' as const,
      url: `${resource.resourceType}/${resource.id}`,
      ...(resource.meta?.versionId ? { ifMatch: `W/"${resource.meta.versionId}"` } : {}),
    },
  });
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      ...state.carePlans.map((plan) => update(plan, 'completed')),
      ...state.careTeams.map((team) => update(team, 'inactive')),
    ],
  };
}

export const DISCHARGE_OUTCOME = 'Closed on discharge from remote monitoring.';

/**
 * Open alerts first (each `$resolve`d with the discharge as outcome: a discharged patient's alerts would otherwise
 * go on escalating), then the CarePlans and CareTeams in one transaction. If an alert cannot be closed nothing else
 * changes; if the transaction fails the patient stays on the caseload, alerts closed.
 */
export async function dischargePatient(medplum: MedplumClient, state: DischargeState, now = new Date()): Promise<void> {
  for (const alert of state.openAlerts) {
    await resolveAlert(medplum, alert.id as string, DISCHARGE_OUTCOME);
  }
  if (state.carePlans.length + state.careTeams.length > 0) {
    await medplum.executeBatch(dischargeBundle(state, now));
  }
}
