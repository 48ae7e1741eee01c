// The shapes of single-reading thresholds: amber and red limits, low and high, per vital sign, each with its source.
import type { VitalSignKind } from '../../fhir/vitalSigns.ts';

export type ThresholdBand = 'amber' | 'red';
export type LimitSide = 'low' | 'high';
/** The result of comparing one reading with its limits. */
export type ThresholdLevel = 'none' | 'amber' | 'red';

/** Where a limit comes from: the programme's PlanDefinition goal, or a clinician's per-patient Goal. */
export interface ThresholdSource {
  kind: 'programme' | 'patient';
  /** "<PlanDefinition url>#<goal id>" or "Goal/<id>". */
  reference: string;
  /** The clinical source the limit was taken from, as written in the resource. */
  citation?: string;
}

/**
 * One limit: the last acceptable value on its side (FHIR Range bounds are inclusive). A reading breaches a low limit
 * when it is below it and a high limit when it is above it; a reading equal to the limit does not breach it.
 */
export interface ThresholdLimit {
  /** In the measure's canonical unit (MEASURES[kind].unit). */
  value: number;
  source: ThresholdSource;
}

export interface BandLimits {
  low?: ThresholdLimit;
  high?: ThresholdLimit;
}

export interface MeasureThresholds {
  kind: VitalSignKind;
  amber: BandLimits;
  red: BandLimits;
}

export type ThresholdsByKind = Partial<Record<VitalSignKind, MeasureThresholds>>;

/** A programme's default thresholds, read from its PlanDefinition. */
export interface ProgrammeThresholds {
  url: string;
  title: string;
  thresholds: ThresholdsByKind;
  /** Goals or targets that could not be used, in words. */
  warnings: string[];
}

/** The thresholds in force for one patient: the programme's, with the patient's overrides applied. */
export interface EffectiveThresholds {
  programme: { url: string; title: string };
  thresholds: ThresholdsByKind;
  warnings: string[];
}

const RANK: Readonly<Record<ThresholdLevel, number>> = { none: 0, amber: 1, red: 2 };

/** The more severe of two levels. */
export function maxLevel(a: ThresholdLevel, b: ThresholdLevel): ThresholdLevel {
  return RANK[a] >= RANK[b] ? a : b;
}

/** True when `a` is at least as severe as `b`. */
export function isAtLeast(a: ThresholdLevel, b: ThresholdLevel): boolean {
  return RANK[a] >= RANK[b];
}
