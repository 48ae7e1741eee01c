// Reads the vital-sign measurements an Observation carries (its value and components) as numbers in one canonical UCUM unit.
import type { Observation, Quantity } from '@medplum/fhirtypes';
import { LOINC, LOINC_CODES, UCUM } from './codes.ts';
import { roundHalfUp } from './rounding.ts';

export type VitalSignKind =
  | 'respiratoryRate'
  | 'spo2'
  | 'systolic'
  | 'diastolic'
  | 'heartRate'
  | 'bodyTemperature'
  | 'bodyWeight'
  | 'inhaledOxygenFlowRate';

/** How one measure is coded, which units it accepts, and the resolution its values are rounded to. */
export interface MeasureDefinition {
  kind: VitalSignKind;
  /** LOINC codes that carry the measure (the first is the preferred one). */
  codes: readonly string[];
  /** Plain-English name used in explanations. */
  label: string;
  /** The canonical UCUM unit every value is converted to. */
  unit: string;
  /** How the unit is printed after a number, e.g. " %" or "/min". */
  unitLabel: string;
  /** Values are rounded half up to this many decimals after conversion (the resolution the rules work at). */
  decimals: number;
  /** Accepted UCUM units and their conversion to the canonical unit. */
  conversions: Readonly<Record<string, (value: number) => number>>;
}

const same = (value: number): number => value;
const POUND_KG = 0.45359237;

/**
 * The measures. Resolution: rates, SpO2 and blood pressure are whole numbers, as every home device displays them and
 * as the NEWS2 chart bands them; temperature is 0.1 °C (after converting °F); weight 0.001 kg (1 g), so that a
 * gain is compared to the gram.
 */
export const MEASURES: Readonly<Record<VitalSignKind, MeasureDefinition>> = {
  respiratoryRate: {
    kind: 'respiratoryRate',
    codes: [LOINC_CODES.respiratoryRate],
    label: 'Respiratory rate',
    unit: '/min',
    unitLabel: '/min',
    decimals: 0,
    conversions: { '/min': same, '{breaths}/min': same },
  },
  spo2: {
    kind: 'spo2',
    codes: [LOINC_CODES.spo2, LOINC_CODES.spo2PulseOximetry],
    label: 'SpO2',
    unit: '%',
    unitLabel: ' %',
    decimals: 0,
    conversions: { '%': same },
  },
  systolic: {
    kind: 'systolic',
    codes: [LOINC_CODES.systolic],
    label: 'Systolic blood pressure',
    unit: 'mm[Hg]',
    unitLabel: ' mmHg',
    decimals: 0,
    conversions: { 'mm[Hg]': same },
  },
  diastolic: {
    kind: 'diastolic',
    codes: [LOINC_CODES.diastolic],
    label: 'Diastolic blood pressure',
    unit: 'mm[Hg]',
    unitLabel: ' mmHg',
    decimals: 0,
    conversions: { 'mm[Hg]': same },
  },
  heartRate: {
    kind: 'heartRate',
    codes: [LOINC_CODES.heartRate],
    label: 'Pulse',
    unit: '/min',
    unitLabel: '/min',
    decimals: 0,
    conversions: { '/min': same, '{beats}/min': same },
  },
  bodyTemperature: {
    kind: 'bodyTemperature',
    codes: [LOINC_CODES.bodyTemperature],
    label: 'Temperature',
    unit: 'Cel',
    unitLabel: ' °C',
    decimals: 1,
    conversions: { Cel: same, '[degF]': (f) => ((f - 32) * 5) / 9 },
  },
  bodyWeight: {
    kind: 'bodyWeight',
    codes: [LOINC_CODES.bodyWeight],
    label: 'Weight',
    unit: 'kg',
    unitLabel: ' kg',
    decimals: 3,
    conversions: { kg: same, g: (g) => g / 1000, '[lb_av]': (lb) => lb * POUND_KG },
  },
  inhaledOxygenFlowRate: {
    kind: 'inhaledOxygenFlowRate',
    codes: [LOINC_CODES.inhaledOxygenFlowRate],
    label: 'Inhaled oxygen flow rate',
    unit: 'L/min',
    unitLabel: ' L/min',
    decimals: 2,
    conversions: { 'L/min': same, 'l/min': same },
  },
};

const KIND_BY_CODE = new Map<string, VitalSignKind>(
  Object.values(MEASURES).flatMap((m) => m.codes.map((code) => [code, m.kind] as const))
);

/** One measurement, converted to the measure's canonical unit and rounded to its resolution. */
export interface VitalSignReading {
  kind: VitalSignKind;
  /** The LOINC code it was found under. */
  code: string;
  /** In `MEASURES[kind].unit`, rounded half up to `MEASURES[kind].decimals`. */
  value: number;
  unit: string;
  /** The value and UCUM unit as recorded. */
  recorded: { value: number; unit: string };
  time: Date;
  observation: Observation;
}

/** Statuses whose values the rules use. Preliminary readings count: an alarming value should not wait. */
const USABLE_STATUSES: ReadonlySet<Observation['status']> = new Set(['final', 'amended', 'corrected', 'preliminary']);

export function isUsableStatus(observation: Observation): boolean {
  return USABLE_STATUSES.has(observation.status);
}

const DATE_TIME_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** Parses a FHIR dateTime/instant that has a time and a zone; a date alone is too vague for the rules. */
export function parseDateTime(value: string | undefined): Date | undefined {
  if (!value || !DATE_TIME_WITH_ZONE.test(value)) {
    return undefined;
  }
  const [year, month, day] = value.slice(0, 10).split('-').map(Number);
  const calendar = new Date(Date.UTC(year, month - 1, day));
  if (calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day) {
    return undefined;
  }
  const time = new Date(value);
  return Number.isNaN(time.getTime()) ? undefined : time;
}

/** The clinically relevant time of an Observation: effectiveDateTime, effectiveInstant, or the end (else start) of effectivePeriod. */
export function observationTime(observation: Observation): Date | undefined {
  return parseDateTime(
    observation.effectiveDateTime ??
      observation.effectiveInstant ??
      observation.effectivePeriod?.end ??
      observation.effectivePeriod?.start
  );
}

/** The vital-sign kind of a LOINC code, if it is one the rules read. */
export function kindOfCode(code: string): VitalSignKind | undefined {
  return KIND_BY_CODE.get(code);
}

/** A UCUM quantity converted to the measure's canonical unit and rounded; undefined when the unit does not fit. */
export function convertQuantity(kind: VitalSignKind, quantity: Quantity | undefined): number | undefined {
  if (quantity?.value === undefined || !Number.isFinite(quantity.value)) {
    return undefined;
  }
  if (quantity.system !== undefined && quantity.system !== UCUM) {
    return undefined;
  }
  const measure = MEASURES[kind];
  const convert = quantity.code === undefined ? undefined : measure.conversions[quantity.code];
  return convert ? roundHalfUp(convert(quantity.value), measure.decimals) : undefined;
}

function loincCodes(concept: Observation['code'] | undefined): string[] {
  return (concept?.coding ?? []).filter((c) => c.system === LOINC && c.code).map((c) => c.code as string);
}

/**
 * Every measurement in `observation` the rules know: the value under the Observation's own LOINC code, and the values
 * of its components (a blood pressure panel's systolic and diastolic, a pulse oximetry reading's inhaled oxygen flow
 * rate). Nothing is read from an Observation that is not usable (status registered, cancelled, entered-in-error or
 * unknown), has no time with a zone, or from a value with a unit that does not fit its measure.
 */
export function readVitalSigns(observation: Observation): VitalSignReading[] {
  const time = observationTime(observation);
  if (!time || !isUsableStatus(observation)) {
    return [];
  }
  const readings: VitalSignReading[] = [];
  const add = (codes: string[], quantity: Quantity | undefined): void => {
    for (const code of codes) {
      const kind = kindOfCode(code);
      if (!kind || readings.some((r) => r.kind === kind)) {
        continue;
      }
      const value = convertQuantity(kind, quantity);
      if (value !== undefined && quantity?.value !== undefined) {
        readings.push({
          kind,
          code,
          value,
          unit: MEASURES[kind].unit,
          recorded: { value: quantity.value, unit: quantity.code as string },
          time,
          observation,
        });
      }
      return;
    }
  };
  add(loincCodes(observation.code), observation.valueQuantity);
  for (const component of observation.component ?? []) {
    add(loincCodes(component.code), component.valueQuantity);
  }
  return readings;
}

/** "Observation/<id>", the form the rules reference inputs by. */
export function observationReference(observation: Observation): string {
  if (!observation.id) {
    throw new Error('An Observation the rules reference must have an id');
  }
  return `Observation/${observation.id}`;
}

/**
 * A value with its unit as people read it: "38.1 °C", "92 %", "135/min", "82.45 kg". Temperature keeps its one
 * decimal ("38.0 °C"); weight shows at most two decimals, without trailing zeros.
 */
export function formatMeasure(kind: VitalSignKind, value: number): string {
  const measure = MEASURES[kind];
  const text = kind === 'bodyWeight' ? String(roundHalfUp(value, 2)) : value.toFixed(measure.decimals);
  return `${text}${measure.unitLabel}`;
}
