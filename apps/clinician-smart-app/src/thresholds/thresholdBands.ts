// The amber/red limits in force for a patient (the bots' own resolveThresholds) as chart bands, domains and legend text.
import type { Goal, PlanDefinition } from '@medplum/fhirtypes';
import { MEASURES, type VitalSignKind as RuleKind } from '../../../../bots/src/fhir/vitalSigns.ts';
import { resolveThresholds } from '../../../../bots/src/rules/thresholds/resolveThresholds.ts';
import type {
  EffectiveThresholds,
  LimitSide,
  ThresholdBand,
} from '../../../../bots/src/rules/thresholds/thresholdTypes.ts';
import type { VitalSignKind } from '../patient/vitalSigns.ts';

export type { EffectiveThresholds, LimitSide, RuleKind, ThresholdBand };

/**
 * The thresholds the alert bots apply to this patient: the programme's goals with the patient's active Goals applied
 * (bots/src/rules/thresholds/resolveThresholds.ts, imported as is so the app and the bots cannot disagree). Without a
 * programme (not enrolled, or its PlanDefinition not readable) only the overrides count.
 */
export function effectiveThresholds(
  programme: PlanDefinition | undefined,
  overrides: readonly Goal[]
): EffectiveThresholds {
  if (programme?.url) {
    return resolveThresholds(programme, overrides);
  }
  return resolveThresholds({ url: '', title: 'no programme', thresholds: {}, warnings: [] }, overrides);
}

/** Which rule measures a chart draws: blood pressure is drawn as systolic (the line) and diastolic (dashed). */
export const RULE_KINDS: Readonly<Record<VitalSignKind | 'news2', readonly RuleKind[]>> = {
  bloodPressure: ['systolic', 'diastolic'],
  heartRate: ['heartRate'],
  spo2: ['spo2'],
  respiratoryRate: ['respiratoryRate'],
  bodyTemperature: ['bodyTemperature'],
  bodyWeight: ['bodyWeight'],
  bloodGlucose: [],
  news2: [],
};

/** One limit as a chart and a clinician read it. */
export interface ChartLimit {
  measure: RuleKind;
  band: ThresholdBand;
  side: LimitSide;
  value: number;
  /** Programme default, or the patient's own limit (a Goal). */
  source: 'programme' | 'patient';
}

/** The limits in force for the measures of one chart, red before amber, low before high. */
export function chartLimits(kind: VitalSignKind | 'news2', thresholds: EffectiveThresholds): ChartLimit[] {
  const limits: ChartLimit[] = [];
  for (const measure of RULE_KINDS[kind]) {
    const found = thresholds.thresholds[measure];
    for (const band of ['red', 'amber'] as const) {
      for (const side of ['low', 'high'] as const) {
        const limit = found?.[band][side];
        if (limit) {
          limits.push({ measure, band, side, value: limit.value, source: limit.source.kind });
        }
      }
    }
  }
  return limits;
}

/** A shaded band of the chart's y axis: readings inside it breach that band's limit. */
export interface BandArea {
  band: ThresholdBand;
  /** Below the low limits (the limit is y2, excluded) or above the high limits (the limit is y1, excluded). */
  side: LimitSide;
  y1: number;
  y2: number;
}

/**
 * The shaded areas for one measure within the chart's y `domain`: red beyond the red limits, amber between a red and
 * an amber limit (or from the edge when there is no red limit on that side). A limit is the last acceptable value,
 * so the boundary itself belongs to the acceptable side, as in the bots.
 */
export function bandAreas(limits: readonly ChartLimit[], measure: RuleKind, domain: [number, number]): BandArea[] {
  const [min, max] = domain;
  const value = (band: ThresholdBand, side: LimitSide) =>
    limits.find((l) => l.measure === measure && l.band === band && l.side === side)?.value;
  const areas: BandArea[] = [];
  const redLow = value('red', 'low');
  const amberLow = value('amber', 'low');
  const amberHigh = value('amber', 'high');
  const redHigh = value('red', 'high');
  if (redLow !== undefined && redLow > min) {
    areas.push({ band: 'red', side: 'low', y1: min, y2: Math.min(redLow, max) });
  }
  if (amberLow !== undefined && amberLow > Math.max(min, redLow ?? min)) {
    areas.push({ band: 'amber', side: 'low', y1: Math.max(min, redLow ?? min), y2: Math.min(amberLow, max) });
  }
  if (amberHigh !== undefined && amberHigh < Math.min(max, redHigh ?? max)) {
    areas.push({ band: 'amber', side: 'high', y1: Math.max(amberHigh, min), y2: Math.min(max, redHigh ?? max) });
  }
  if (redHigh !== undefined && redHigh < max) {
    areas.push({ band: 'red', side: 'high', y1: Math.max(redHigh, min), y2: max });
  }
  return areas;
}

/** The y axis range: every reading and every limit, with a little room above and below. */
export function chartDomain(values: readonly number[], limits: readonly ChartLimit[]): [number, number] {
  const all = [...values, ...limits.map((l) => l.value)].filter((v) => Number.isFinite(v));
  if (all.length === 0) {
    return [0, 1];
  }
  const low = Math.min(...all);
  const high = Math.max(...all);
  const pad = Math.max((high - low) * 0.1, 1);
  return [Math.floor(low - pad), Math.ceil(high + pad)];
}

const MEASURE_LABEL: Readonly<Partial<Record<RuleKind, string>>> = { systolic: 'Systolic', diastolic: 'Diastolic' };
const BAND_LABEL: Readonly<Record<ThresholdBand, string>> = { amber: 'Amber', red: 'Red' };

/** A limit value as written on the ward: temperature with one decimal, weight without trailing zeros. */
export function formatLimit(measure: RuleKind, value: number): string {
  return measure === 'bodyTemperature' ? value.toFixed(1) : String(Number(value.toFixed(MEASURES[measure].decimals)));
}

/**
 * The chart's legend in words (colour is never the only carrier): one line per measure and band, e.g. "Amber: below
 * 94 or above 110 (programme default)", "Systolic red: below 85 (patient's own limit)".
 */
export function legendLines(limits: readonly ChartLimit[], unit: string): string[] {
  const lines: string[] = [];
  const measures = [...new Set(limits.map((l) => l.measure))];
  for (const measure of measures) {
    for (const band of ['amber', 'red'] as const) {
      const of = limits.filter((l) => l.measure === measure && l.band === band);
      if (of.length === 0) {
        continue;
      }
      const sides = of.map((l) => `${l.side === 'low' ? 'below' : 'above'} ${formatLimit(measure, l.value)}`);
      const sources = [...new Set(of.map((l) => l.source))]
        .map((s) => (s === 'patient' ? "patient's own limit" : 'programme default'))
        .join(' and ');
      const prefix = MEASURE_LABEL[measure] ? `${MEASURE_LABEL[measure]} ${band}` : BAND_LABEL[band];
      lines.push(`${prefix}: ${sides.join(' or ')}${unit ? ` ${unit}` : ''} (${sources})`);
    }
  }
  return lines;
}
