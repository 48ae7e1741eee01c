// Bot: on a new weight, checks the heart-failure weight trend (> 2 kg in 72 h) and raises an amber alert.
import type { BotEvent, MedplumClient } from '@medplum/core';
import type { Observation } from '@medplum/fhirtypes';
import { buildAlert } from '../alerts/buildAlert.ts';
import { raiseAlert } from '../alerts/raiseAlert.ts';
import type { RaiseAlertResult } from '../alerts/raiseAlert.ts';
import { LOINC, LOINC_CODES } from '../fhir/codes.ts';
import { observationTime, readVitalSigns } from '../fhir/vitalSigns.ts';
import { detectWeightGain, WEIGHT_GAIN_WINDOW_HOURS } from '../rules/trends/detectWeightGain.ts';
import { loadMonitoringContext, subjectPatient } from './monitoringContext.ts';
import type { BotClient } from './monitoringContext.ts';

export type WeightTrendBotResult =
  | { status: 'skipped'; reason: string }
  | { status: 'evaluated'; alert: boolean; gainKg?: number; outcome?: RaiseAlertResult['outcome'] };

/** Medplum bot entry point: event.input is a body-weight Observation just written. */
export async function handler(medplum: MedplumClient, event: BotEvent<Observation>): Promise<WeightTrendBotResult> {
  return checkWeightTrend(medplum, event.input, new Date());
}

/**
 * Runs for patients whose active monitoring CarePlan schedules a body weight (activity.detail.code 29463-7): the
 * daily-weight programmes such as heart failure.
 */
export async function checkWeightTrend(
  medplum: BotClient,
  observation: Observation,
  now: Date
): Promise<WeightTrendBotResult> {
  const patient = subjectPatient(observation);
  const time = observationTime(observation);
  if (!patient || !time || !readVitalSigns(observation).some((r) => r.kind === 'bodyWeight')) {
    return { status: 'skipped', reason: 'not a usable body weight of a Patient' };
  }
  const context = await loadMonitoringContext(medplum, patient, now);
  const weighsDaily = context?.carePlan.activity?.some((a) =>
    a.detail?.code?.coding?.some((c) => c.system === LOINC && c.code === LOINC_CODES.bodyWeight)
  );
  if (!context || !weighsDaily) {
    return { status: 'skipped', reason: 'the patient’s monitoring CarePlan does not schedule a body weight' };
  }
  const since = new Date(time.getTime() - WEIGHT_GAIN_WINDOW_HOURS * 3_600_000).toISOString();
  const weights = await medplum.searchResources('Observation', [
    ['subject', patient],
    ['code', `${LOINC}|${LOINC_CODES.bodyWeight}`],
    ['date', `ge${since}`],
    ['_sort', '-date'],
    ['_count', '500'],
  ]);
  const result = detectWeightGain([...weights.filter((o) => o.id !== observation.id), observation]);
  if (!result?.alert || !result.baseline) {
    return { status: 'evaluated', alert: false, gainKg: result?.gainKg };
  }
  const alert = buildAlert({
    patient: { reference: patient },
    rule: 'weight-gain',
    severity: 'moderate',
    observations: [result.newest.observation, result.baseline.observation],
    explanation: result.explanation,
    programme: context.carePlan.instantiatesCanonical?.[0],
    identified: now,
    evidenceCode: { coding: [{ system: LOINC, code: LOINC_CODES.bodyWeight }] },
  });
  const raised = await raiseAlert(medplum, alert);
  return { status: 'evaluated', alert: true, gainKg: result.gainKg, outcome: raised.outcome };
}
