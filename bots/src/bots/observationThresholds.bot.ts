// Bot: evaluates a new vital-sign Observation against the patient's thresholds and raises amber/red (and combined) alerts.
import type { BotEvent, MedplumClient } from '@medplum/core';
import type { Observation } from '@medplum/fhirtypes';
import { buildAlert, severityForLevel } from '../alerts/buildAlert.ts';
import { raiseAlert } from '../alerts/raiseAlert.ts';
import type { RaiseAlertResult } from '../alerts/raiseAlert.ts';
import { LOINC } from '../fhir/codes.ts';
import { MEASURES, observationTime, readVitalSigns } from '../fhir/vitalSigns.ts';
import {
  COMBINED_WINDOW_MINUTES,
  combineSpo2AndRespiratoryRate,
} from '../rules/combined/combineSpo2AndRespiratoryRate.ts';
import { evaluateThreshold } from '../rules/thresholds/evaluateThreshold.ts';
import type { ThresholdFinding } from '../rules/thresholds/evaluateThreshold.ts';
import { resolveThresholds } from '../rules/thresholds/resolveThresholds.ts';
import type { ThresholdLevel } from '../rules/thresholds/thresholdTypes.ts';
import { loadMonitoringContext, subjectPatient } from './monitoringContext.ts';
import type { BotClient } from './monitoringContext.ts';

export type ThresholdsBotResult =
  | { status: 'skipped'; reason: string }
  | { status: 'evaluated'; level: ThresholdLevel; alerts: { rule: string; outcome: RaiseAlertResult['outcome'] }[] };

/** Medplum bot entry point: event.input is the Observation just written (Subscription on Observation create/update). */
export async function handler(medplum: MedplumClient, event: BotEvent<Observation>): Promise<ThresholdsBotResult> {
  return evaluateObservationThresholds(medplum, event.input, new Date());
}

const OTHER_KIND = { spo2: 'respiratoryRate', respiratoryRate: 'spo2' } as const;

async function combinedFindings(
  medplum: BotClient,
  patient: string,
  findings: ThresholdFinding[],
  evaluate: (o: Observation) => ThresholdFinding[]
): Promise<ThresholdFinding[]> {
  const own = findings.find((f) => f.reading.kind === 'spo2' || f.reading.kind === 'respiratoryRate');
  if (!own || own.level === 'none') {
    return [];
  }
  const other = OTHER_KIND[own.reading.kind as keyof typeof OTHER_KIND];
  const t = own.reading.time.getTime();
  const window = COMBINED_WINDOW_MINUTES * 60_000;
  const nearby = await medplum.searchResources('Observation', [
    ['subject', patient],
    ['code', MEASURES[other].codes.map((c) => `${LOINC}|${c}`).join(',')],
    ['date', `ge${new Date(t - window).toISOString()}`],
    ['date', `le${new Date(t + window).toISOString()}`],
  ]);
  return nearby.flatMap(evaluate).filter((f) => f.reading.kind === other);
}

/** The handler's work, with the clock given (tests). */
export async function evaluateObservationThresholds(
  medplum: BotClient,
  observation: Observation,
  now: Date
): Promise<ThresholdsBotResult> {
  const patient = subjectPatient(observation);
  if (!patient || !observation.id || !observationTime(observation)) {
    return { status: 'skipped', reason: 'not a saved Observation of a Patient with a time' };
  }
  if (readVitalSigns(observation).length === 0) {
    return { status: 'skipped', reason: 'no vital sign the rules read (code, unit, status or value)' };
  }
  const context = await loadMonitoringContext(medplum, patient, now);
  if (!context?.programme) {
    return { status: 'skipped', reason: 'no active monitoring CarePlan with a known programme' };
  }
  const thresholds = resolveThresholds(context.programme, context.overrides);
  const evaluation = evaluateThreshold(observation, thresholds);
  const programme = thresholds.programme.url;
  const alerts: { rule: string; outcome: RaiseAlertResult['outcome'] }[] = [];
  for (const finding of evaluation.findings) {
    if (finding.level === 'none') {
      continue;
    }
    const code = MEASURES[finding.reading.kind].codes[0];
    const alert = buildAlert({
      patient: { reference: patient },
      rule: 'vital-sign-threshold',
      qualifier: code,
      severity: severityForLevel(finding.level),
      observations: [observation],
      explanation: finding.explanation,
      programme,
      identified: now,
      evidenceCode: { coding: [{ system: LOINC, code }] },
    });
    alerts.push({ rule: `vital-sign-threshold.${code}`, outcome: (await raiseAlert(medplum, alert)).outcome });
  }
  const others = await combinedFindings(
    medplum,
    patient,
    evaluation.findings,
    (o) => evaluateThreshold(o, thresholds).findings
  );
  const combined = combineSpo2AndRespiratoryRate([...evaluation.findings, ...others]);
  if (combined) {
    const alert = buildAlert({
      patient: { reference: patient },
      rule: 'combined-spo2-respiratory-rate',
      severity: severityForLevel(combined.level),
      observations: [combined.spo2.reading.observation, combined.respiratoryRate.reading.observation],
      explanation: combined.explanation,
      programme,
      identified: now,
    });
    alerts.push({ rule: 'combined-spo2-respiratory-rate', outcome: (await raiseAlert(medplum, alert)).outcome });
  }
  return { status: 'evaluated', level: evaluation.level, alerts };
}
