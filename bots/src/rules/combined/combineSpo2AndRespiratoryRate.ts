// Combined rule: SpO2 amber or worse AND respiratory rate amber or worse within 1 hour of each other → red.
import { formatMeasure } from '../../fhir/vitalSigns.ts';
import type { ThresholdFinding } from '../thresholds/evaluateThreshold.ts';
import { isAtLeast, maxLevel } from '../thresholds/thresholdTypes.ts';
import type { ThresholdLevel } from '../thresholds/thresholdTypes.ts';

/**
 * Rationale (cautious): low oxygen saturation together with an abnormal breathing rate points to respiratory
 * deterioration more specifically than either alone, and NEWS2 is built on the same principle that several
 * moderately abnormal parameters signal more risk than one (RCP NEWS2, 2017: SpO2 92–93 % on air and a respiration
 * rate of 21–24/min already total 4, and with any other abnormal parameter reach the urgent threshold of 5). NHS
 * England's COVID-19 virtual ward guidance likewise escalates falling saturation with increasing breathlessness.
 * This is a local escalation rule, not a published score: its use needs sign-off by the service's clinical
 * governance.
 *
 * Exact definition: an SpO2 finding and a respiratory-rate finding (each from evaluateThreshold against the patient's
 * thresholds), each amber or red, taken no more than `windowMinutes` (default 60) apart, both edges included → red.
 * Either side of the respiratory-rate limits counts (a slow rate with low saturation is no better). The thresholds
 * handler passes the findings of the triggering reading and of the other vital sign's readings taken within 60 minutes
 * of it. A combined rule can only raise a severity, never lower it: see `applyCombinedRule`.
 */

export const COMBINED_WINDOW_MINUTES = 60;

export interface CombinedRuleResult {
  level: 'red';
  spo2: ThresholdFinding;
  respiratoryRate: ThresholdFinding;
  explanation: string;
}

/** The combined red, if an SpO2 and a respiratory-rate finding, both at least amber, lie within the window. */
export function combineSpo2AndRespiratoryRate(
  findings: readonly ThresholdFinding[],
  windowMinutes = COMBINED_WINDOW_MINUTES
): CombinedRuleResult | undefined {
  const abnormal = (kind: string) => findings.filter((f) => f.reading.kind === kind && isAtLeast(f.level, 'amber'));
  let best: { spo2: ThresholdFinding; rr: ThresholdFinding; newest: number; gap: number } | undefined;
  for (const spo2 of abnormal('spo2')) {
    for (const rr of abnormal('respiratoryRate')) {
      const gap = Math.abs(spo2.reading.time.getTime() - rr.reading.time.getTime());
      if (gap > windowMinutes * 60_000) {
        continue;
      }
      const newest = Math.max(spo2.reading.time.getTime(), rr.reading.time.getTime());
      if (!best || newest > best.newest || (newest === best.newest && gap < best.gap)) {
        best = { spo2, rr, newest, gap };
      }
    }
  }
  if (!best) {
    return undefined;
  }
  const minutes = Math.round(best.gap / 60_000);
  return {
    level: 'red',
    spo2: best.spo2,
    respiratoryRate: best.rr,
    explanation:
      `SpO2 ${formatMeasure('spo2', best.spo2.reading.value)} (${best.spo2.level}) and respiratory rate ` +
      `${formatMeasure('respiratoryRate', best.rr.reading.value)} (${best.rr.level}) within ${minutes} min of each ` +
      `other: escalated to red (combined rule: both at least amber within ${windowMinutes} min)`,
  };
}

/** The severity after a combined rule: the higher of the two, so a combined rule never lowers a severity. */
export function applyCombinedRule(level: ThresholdLevel, combined: CombinedRuleResult | undefined): ThresholdLevel {
  return combined ? maxLevel(level, combined.level) : level;
}
