// Heart failure weight trend: the newest weight more than 2 kg above the lowest weight of the preceding 72 hours.
import type { Observation } from '@medplum/fhirtypes';
import { roundHalfUp } from '../../fhir/rounding.ts';
import { formatMeasure, readVitalSigns } from '../../fhir/vitalSigns.ts';
import type { VitalSignReading } from '../../fhir/vitalSigns.ts';

/**
 * Source: ESC heart failure guidelines, patient education and self-care (Ponikowski et al., Eur Heart J
 * 2016;37:2129–2200, table 17.2: "in case of … a sudden unexpected weight gain of > 2 kg in 3 days, patients should
 * increase their diuretic dose and/or alert their healthcare team"); NICE NG106 (chronic heart failure, 2018)
 * asks for self-monitoring to be taught but does not give a figure, so the figure is the ESC's.
 *
 * Exact definition:
 * - readings: usable body-weight Observations (LOINC 29463-7; kg, g or [lb_av], converted to kg and rounded to 1 g);
 * - newest: the reading with the latest effective time (not the latest received; on a tie, the heavier);
 * - baseline: the lowest reading taken in the 72 hours before the newest: effective time ≥ newest − 72 h (the edge
 *   included) and < newest;
 * - gain = newest − baseline, rounded to 1 g; the rule fires when gain > 2.000 kg (exactly 2 kg does not fire).
 * The lowest rather than the first reading of the window is the baseline, so a gain building over the three days
 * is caught whatever the day-to-day noise. Readings may arrive in any order; only the newest is evaluated, so a late
 * upload of an older reading re-evaluates the current state.
 */

export const WEIGHT_GAIN_WINDOW_HOURS = 72;
export const WEIGHT_GAIN_LIMIT_KG = 2;

export interface WeightGainResult {
  alert: boolean;
  newest: VitalSignReading;
  /** The lowest reading of the window; absent when there is no earlier reading in it. */
  baseline?: VitalSignReading;
  /** newest − baseline in kg, rounded to 1 g. */
  gainKg?: number;
  windowStart: Date;
  explanation: string;
}

function when(reading: VitalSignReading): string {
  return reading.observation.effectiveDateTime ?? reading.time.toISOString();
}

/** Evaluates the newest weight among `observations` (one patient's); undefined when there is no usable weight. */
export function detectWeightGain(observations: readonly Observation[]): WeightGainResult | undefined {
  const readings = observations.flatMap((o) => readVitalSigns(o).filter((r) => r.kind === 'bodyWeight'));
  if (readings.length === 0) {
    return undefined;
  }
  const newest = readings.reduce((a, b) => {
    const dt = b.time.getTime() - a.time.getTime();
    return dt > 0 || (dt === 0 && b.value > a.value) ? b : a;
  });
  const windowStart = new Date(newest.time.getTime() - WEIGHT_GAIN_WINDOW_HOURS * 3_600_000);
  const preceding = readings.filter((r) => r.time >= windowStart && r.time < newest.time);
  if (preceding.length === 0) {
    return {
      alert: false,
      newest,
      windowStart,
      explanation: `Weight ${formatMeasure('bodyWeight', newest.value)} on ${when(newest)}: no earlier weight in the preceding 72 hours to compare with`,
    };
  }
  const baseline = preceding.reduce((a, b) => (b.value < a.value || (b.value === a.value && b.time < a.time) ? b : a));
  const gainKg = roundHalfUp(newest.value - baseline.value, 3);
  const alert = gainKg > WEIGHT_GAIN_LIMIT_KG;
  const comparison = `is ${formatMeasure('bodyWeight', Math.abs(gainKg))} ${gainKg >= 0 ? 'above' : 'below'}`;
  return {
    alert,
    newest,
    baseline,
    gainKg,
    windowStart,
    explanation:
      `Weight ${formatMeasure('bodyWeight', newest.value)} on ${when(newest)} ${comparison} the lowest weight of ` +
      `the preceding 72 hours (${formatMeasure('bodyWeight', baseline.value)} on ${when(baseline)}); ` +
      `${alert ? 'more than' : 'not more than'} the limit of a 2 kg gain in 3 days`,
  };
}
