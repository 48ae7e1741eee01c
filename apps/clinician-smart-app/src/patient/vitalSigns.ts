// Vital-sign readings as chart series: which LOINC code is which measure, blood pressure as systolic/diastolic.
import type { Observation } from '@medplum/fhirtypes';
import { LOINC } from '../fhir/codes.ts';
import { readingTime } from '../fhir/readings.ts';

export type VitalSignKind =
  'bloodPressure' | 'heartRate' | 'spo2' | 'respiratoryRate' | 'bodyTemperature' | 'bodyWeight' | 'bloodGlucose';

export interface VitalSignDefinition {
  /** A vital sign, or `news2` for the NEWS2 total drawn the same way. */
  kind: VitalSignKind | 'news2';
  label: string;
  unit: string;
  /** LOINC codes of the Observation.code that carry this measure. */
  codes: readonly string[];
}

/** Shown in this order (shared/domain/RPM-REFERENCE.md). */
export const VITAL_SIGNS: readonly VitalSignDefinition[] = [
  { kind: 'bloodPressure', label: 'Blood pressure', unit: 'mmHg', codes: ['85354-9'] },
  { kind: 'heartRate', label: 'Heart rate', unit: 'beats/min', codes: ['8867-4'] },
  { kind: 'spo2', label: 'Oxygen saturation', unit: '%', codes: ['2708-6', '59408-5'] },
  { kind: 'respiratoryRate', label: 'Respiratory rate', unit: 'breaths/min', codes: ['9279-1'] },
  { kind: 'bodyTemperature', label: 'Temperature', unit: '°C', codes: ['8310-5'] },
  { kind: 'bodyWeight', label: 'Weight', unit: 'kg', codes: ['29463-7'] },
  { kind: 'bloodGlucose', label: 'Blood glucose', unit: 'mmol/L', codes: ['2339-0'] },
];

const SYSTOLIC = '8480-6';
const DIASTOLIC = '8462-4';

export interface ReadingPoint {
  /** Milliseconds since the epoch (the chart's x axis). */
  time: number;
  value: number;
  /** Diastolic, for blood pressure (value is systolic). */
  value2?: number;
  observationId?: string;
}

export interface VitalSignSeries {
  definition: VitalSignDefinition;
  /** Oldest first. */
  points: ReadingPoint[];
}

function hasLoinc(observation: Observation, codes: readonly string[]): boolean {
  return observation.code?.coding?.some((c) => c.system === LOINC && codes.includes(c.code ?? '')) ?? false;
}

function componentValue(observation: Observation, code: string): number | undefined {
  return observation.component?.find((c) => c.code?.coding?.some((x) => x.system === LOINC && x.code === code))
    ?.valueQuantity?.value;
}

/** The point a reading gives for the measure, or undefined when it has no usable value or time. */
export function readingPoint(observation: Observation, definition: VitalSignDefinition): ReadingPoint | undefined {
  const time = Date.parse(readingTime(observation) ?? '');
  if (Number.isNaN(time) || !hasLoinc(observation, definition.codes)) {
    return undefined;
  }
  if (definition.kind === 'bloodPressure') {
    const systolic = componentValue(observation, SYSTOLIC);
    const diastolic = componentValue(observation, DIASTOLIC);
    return systolic === undefined
      ? undefined
      : { time, value: systolic, value2: diastolic, observationId: observation.id };
  }
  const value = observation.valueQuantity?.value;
  return value === undefined ? undefined : { time, value, observationId: observation.id };
}

/** One series per measure that has readings, in VITAL_SIGNS order, points oldest first. */
export function vitalSignSeries(observations: readonly Observation[]): VitalSignSeries[] {
  return VITAL_SIGNS.map((definition) => ({
    definition,
    points: observations
      .map((o) => readingPoint(o, definition))
      .filter((p): p is ReadingPoint => p !== undefined)
      .sort((a, b) => a.time - b.time),
  })).filter((s) => s.points.length > 0);
}

/** "128/82 mmHg", "72 beats/min". */
export function formatPoint(point: ReadingPoint, definition: VitalSignDefinition): string {
  const value = point.value2 !== undefined ? `${point.value}/${point.value2}` : `${point.value}`;
  return `${value} ${definition.unit}`.trim();
}

export type TrendRange = '24h' | '7d' | '30d';

export const TREND_RANGES: Readonly<Record<TrendRange, { label: string; ms: number }>> = {
  '24h': { label: '24 hours', ms: 86_400_000 },
  '7d': { label: '7 days', ms: 7 * 86_400_000 },
  '30d': { label: '30 days', ms: 30 * 86_400_000 },
};

/** The points of the last `range` before `now`. */
export function pointsInRange(points: readonly ReadingPoint[], range: TrendRange, now: number): ReadingPoint[] {
  const from = now - TREND_RANGES[range].ms;
  return points.filter((p) => p.time >= from && p.time <= now + 60_000);
}
