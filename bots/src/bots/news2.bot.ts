// Bot: computes NEWS2 when a vital sign arrives, stores the NEWS2 Observation once, and alerts on its response band.
import type { BotEvent, MedplumClient } from '@medplum/core';
import type { Observation } from '@medplum/fhirtypes';
import { buildAlert } from '../alerts/buildAlert.ts';
import type { AlertSeverity } from '../alerts/buildAlert.ts';
import { raiseAlert } from '../alerts/raiseAlert.ts';
import type { RaiseAlertResult } from '../alerts/raiseAlert.ts';
import { IDENTIFIER_SYSTEMS, LOINC, LOINC_CODES, NEWS2_SNOMED, SNOMED } from '../fhir/codes.ts';
import { observationTime, readVitalSigns } from '../fhir/vitalSigns.ts';
import { buildNews2Observation } from '../rules/news2/buildNews2Observation.ts';
import { completeNews2Inputs, readAcvpu } from '../rules/news2/completeNews2Inputs.ts';
import type { News2Parameter } from '../rules/news2/scoreNews2.ts';
import { explainNews2 } from '../rules/news2/explainNews2.ts';
import type { News2Risk } from '../rules/news2/news2ClinicalResponse.ts';
import { scoreNews2 } from '../rules/news2/scoreNews2.ts';
import { loadMonitoringContext, subjectPatient } from './monitoringContext.ts';
import type { BotClient } from './monitoringContext.ts';

/** A NEWS2 set is the newest of each input within this many minutes of the newest input. */
export const NEWS2_WINDOW_MINUTES = 60;

/** The codes searched for NEWS2 inputs (Observation.code; components such as systolic come with their panel). */
export const NEWS2_INPUT_CODES = [
  `${LOINC}|${LOINC_CODES.respiratoryRate}`,
  `${LOINC}|${LOINC_CODES.spo2}`,
  `${LOINC}|${LOINC_CODES.spo2PulseOximetry}`,
  `${LOINC}|${LOINC_CODES.inhaledOxygenFlowRate}`,
  `${LOINC}|${LOINC_CODES.bloodPressurePanel}`,
  `${LOINC}|${LOINC_CODES.systolic}`,
  `${LOINC}|${LOINC_CODES.heartRate}`,
  `${LOINC}|${LOINC_CODES.bodyTemperature}`,
  `${SNOMED}|${NEWS2_SNOMED.acvpuObservation}`,
].join(',');

/** RCP risk → alert severity: high and medium (urgent or emergency response) are red, low–medium amber, low none. */
const ALERT_SEVERITY: Readonly<Record<News2Risk, AlertSeverity | undefined>> = {
  high: 'high',
  medium: 'high',
  'low-medium': 'moderate',
  low: undefined,
};

export type News2BotResult =
  | { status: 'skipped'; reason: string }
  | { status: 'incomplete'; missing: News2Parameter[] }
  | {
      status: 'scored';
      total: number;
      risk: News2Risk;
      news2: Observation;
      alert?: RaiseAlertResult['outcome'];
    };

/** Medplum bot entry point: event.input is a vital-sign Observation just written. */
export async function handler(medplum: MedplumClient, event: BotEvent<Observation>): Promise<News2BotResult> {
  return computeNews2(medplum, event.input, new Date());
}

function isNews2Input(observation: Observation): boolean {
  const kinds = readVitalSigns(observation).map((r) => r.kind);
  return (
    kinds.some((k) =>
      ['respiratoryRate', 'spo2', 'systolic', 'heartRate', 'bodyTemperature', 'inhaledOxygenFlowRate'].includes(k)
    ) || readAcvpu(observation) !== undefined
  );
}

/** The handler's work, with the clock given (tests). */
export async function computeNews2(medplum: BotClient, observation: Observation, now: Date): Promise<News2BotResult> {
  const patient = subjectPatient(observation);
  const time = observationTime(observation);
  if (!patient || !time || !isNews2Input(observation)) {
    return { status: 'skipped', reason: 'not a usable NEWS2 input of a Patient' };
  }
  const context = await loadMonitoringContext(medplum, patient, now);
  const since = new Date(time.getTime() - NEWS2_WINDOW_MINUTES * 60_000).toISOString();
  const found = await medplum.searchResources('Observation', [
    ['subject', patient],
    ['code', NEWS2_INPUT_CODES],
    ['date', `ge${since}`],
    ['_sort', '-date'],
    ['_count', '200'],
  ]);
  const observations = [...found.filter((o) => o.id !== observation.id), observation];
  const selection = completeNews2Inputs(observations, {
    windowMinutes: NEWS2_WINDOW_MINUTES,
    spo2Scale: context?.spo2Scale ?? 1,
  });
  if (!selection.complete) {
    return { status: 'incomplete', missing: selection.missing };
  }
  const result = scoreNews2(selection.inputs);
  const built = buildNews2Observation({ reference: patient }, result, selection.observations);
  const identifier = built.identifier?.[0];
  const news2 = await medplum.createResourceIfNoneExist(
    built,
    `identifier=${encodeURIComponent(`${IDENTIFIER_SYSTEMS.news2}|${identifier?.value}`)}`
  );
  const severity = ALERT_SEVERITY[result.response.risk];
  if (!severity) {
    return { status: 'scored', total: result.total, risk: result.response.risk, news2 };
  }
  const alert = buildAlert({
    patient: { reference: patient },
    rule: 'news2',
    severity,
    observations: [news2],
    explanation: explainNews2(result),
    programme: context?.programme?.url,
    identified: now,
    evidenceCode: { coding: [{ system: SNOMED, code: NEWS2_SNOMED.total }] },
  });
  const raised = await raiseAlert(medplum, alert);
  return { status: 'scored', total: result.total, risk: result.response.risk, news2, alert: raised.outcome };
}
