// Compares one reading with the thresholds in force: none, amber or red, with the limit breached and an explanation in words.
import type { Observation } from '@medplum/fhirtypes';
import { formatMeasure, MEASURES, readVitalSigns } from '../../fhir/vitalSigns.ts';
import type { VitalSignReading } from '../../fhir/vitalSigns.ts';
import { maxLevel } from './thresholdTypes.ts';
import type {
  EffectiveThresholds,
  LimitSide,
  MeasureThresholds,
  ThresholdBand,
  ThresholdLevel,
  ThresholdLimit,
} from './thresholdTypes.ts';

/**
 * Definition: a limit is the last acceptable value on its side, so a reading breaches a low limit when it is strictly
 * below it and a high limit when it is strictly above it; a reading equal to a limit does not breach it. Red is checked
 * before amber. The reading is first converted to the measure's canonical unit and rounded half up to its resolution
 * (whole numbers; temperature 0.1 °C), the value a clinician sees, so that the thresholds and NEWS2 agree on what a
 * reading is: 91.5 % is read as 92 %.
 */

export interface ThresholdFinding {
  reading: VitalSignReading;
  level: ThresholdLevel;
  /** The band and side of the limit breached (absent when the level is none). */
  band?: ThresholdBand;
  side?: LimitSide;
  limit?: ThresholdLimit;
  explanation: string;
}

export interface ThresholdEvaluation {
  /** The most severe level among the findings ('none' when nothing in the Observation has thresholds). */
  level: ThresholdLevel;
  /** One finding per measurement in the Observation that has thresholds (a BP panel may give two). */
  findings: ThresholdFinding[];
}

function sourceText(limit: ThresholdLimit, programmeTitle: string): string {
  return limit.source.kind === 'patient'
    ? `patient-specific limit, ${limit.source.reference}; programme: ${programmeTitle}`
    : `programme: ${programmeTitle}`;
}

function breach(reading: VitalSignReading, measure: MeasureThresholds, band: ThresholdBand) {
  const { low, high } = measure[band];
  if (low && reading.value < low.value) {
    return { side: 'low' as const, limit: low };
  }
  if (high && reading.value > high.value) {
    return { side: 'high' as const, limit: high };
  }
  return undefined;
}

/** Compares one measurement with its thresholds. */
export function evaluateReading(
  reading: VitalSignReading,
  measure: MeasureThresholds,
  programmeTitle: string
): ThresholdFinding {
  const label = MEASURES[reading.kind].label;
  const shown = formatMeasure(reading.kind, reading.value);
  for (const band of ['red', 'amber'] as const) {
    const found = breach(reading, measure, band);
    if (found) {
      const direction = found.side === 'low' ? 'below' : 'above';
      const limitText = formatMeasure(reading.kind, found.limit.value);
      return {
        reading,
        level: band,
        band,
        side: found.side,
        limit: found.limit,
        explanation: `${label} ${shown} is ${direction} the ${band} limit of ${limitText} (${sourceText(found.limit, programmeTitle)})`,
      };
    }
  }
  return { reading, level: 'none', explanation: `${label} ${shown} is within limits (programme: ${programmeTitle})` };
}

/** Evaluates every measurement in `observation` that has thresholds; an Observation the rules cannot read gives none. */
export function evaluateThreshold(observation: Observation, thresholds: EffectiveThresholds): ThresholdEvaluation {
  const findings: ThresholdFinding[] = [];
  for (const reading of readVitalSigns(observation)) {
    const measure = thresholds.thresholds[reading.kind];
    if (measure) {
      findings.push(evaluateReading(reading, measure, thresholds.programme.title));
    }
  }
  return {
    level: findings.reduce<ThresholdLevel>((level, finding) => maxLevel(level, finding.level), 'none'),
    findings,
  };
}
