// Picks a complete NEWS2 input set from a patient's recent Observations: the newest of each input within a time window.
import type { Observation } from '@medplum/fhirtypes';
import { ACVPU_SNOMED, NEWS2_SNOMED, SNOMED } from '../../fhir/codes.ts';
import { isUsableStatus, observationTime, readVitalSigns } from '../../fhir/vitalSigns.ts';
import type { VitalSignKind } from '../../fhir/vitalSigns.ts';
import { NEWS2_PARAMETERS } from './scoreNews2.ts';
import type { Acvpu, AirOrOxygen, News2Inputs, News2Parameter, Spo2Scale } from './scoreNews2.ts';

/**
 * Which Observations feed which NEWS2 input (LOINC codes from shared/domain/RPM-REFERENCE.md):
 *
 * - respiration rate: LOINC 9279-1 (/min);
 * - SpO2: LOINC 2708-6 or 59408-5 (%);
 * - systolic BP: LOINC 8480-6, standalone or as a component of a BP panel 85354-9 (mm[Hg]);
 * - pulse: LOINC 8867-4 (/min);
 * - temperature: LOINC 8310-5 in Cel or [degF] (converted to °C, rounded half up to 0.1 °C);
 * - consciousness: SNOMED 1104441000000107 (ACVPU scale score) with a SNOMED valueCodeableConcept from HL7 UK's
 *   CareConnect-ACVPU-1 value set: 248234008 Alert, 130987000 acute (new) Confusion, 300202002 Voice,
 *   450847001 Pain, 422768004 Unresponsive;
 * - air or oxygen: LOINC 3151-8 "Inhaled oxygen flow rate" in L/min, either standalone or as a component of the
 *   SpO2 Observation (as in the US Core pulse oximetry profile): 0 L/min means air, more than 0 means supplemental
 *   oxygen. Nothing is assumed when it is not recorded: the input is then missing.
 *
 * Only usable Observations count (status final, amended, corrected or preliminary; a value, not a
 * dataAbsentReason; a time with a zone; a unit that fits). The window ends at the newest usable input of any kind and
 * starts `windowMinutes` before it, both ends included; each input is the newest of its kind inside the window (on a
 * tie, the Observation with the smaller id, so the choice does not depend on the order given).
 */

export interface CompleteNews2Options {
  /** Length of the window ending at the newest input, in minutes. */
  windowMinutes: number;
  /** The patient's SpO2 scale, as set by a clinician; 1 when absent. */
  spo2Scale?: Spo2Scale;
}

interface Candidate<T> {
  value: T;
  time: Date;
  observation: Observation;
}

/** The inputs found and where they came from. */
export interface News2InputSelection {
  /** The Observation each input was taken from (one Observation may feed several, e.g. a SpO2 reading with its O2 flow). */
  used: Partial<Record<News2Parameter, Observation>>;
  /** The distinct Observations used, in parameter order. */
  observations: Observation[];
  /** The window, when at least one input was found. */
  windowStart?: Date;
  windowEnd?: Date;
}

export type CompleteNews2InputsResult =
  | (News2InputSelection & { complete: true; inputs: News2Inputs; windowStart: Date; windowEnd: Date })
  | (News2InputSelection & { complete: false; missing: News2Parameter[]; partial: Partial<News2Inputs> });

const KIND_FOR_PARAMETER: Partial<Record<News2Parameter, VitalSignKind>> = {
  respirationRate: 'respiratoryRate',
  spo2: 'spo2',
  systolicBp: 'systolic',
  pulse: 'heartRate',
  temperature: 'bodyTemperature',
};

const ACVPU_BY_CODE = new Map<string, Acvpu>(
  Object.entries(ACVPU_SNOMED).map(([letter, concept]) => [concept.code, letter as Acvpu])
);

/** The ACVPU level an Observation records, if it is a usable ACVPU observation. */
export function readAcvpu(observation: Observation): Candidate<Acvpu> | undefined {
  const isAcvpu = (observation.code?.coding ?? []).some(
    (c) => c.system === SNOMED && c.code === NEWS2_SNOMED.acvpuObservation
  );
  const time = observationTime(observation);
  if (!isAcvpu || !time || !isUsableStatus(observation)) {
    return undefined;
  }
  for (const coding of observation.valueCodeableConcept?.coding ?? []) {
    const level = coding.system === SNOMED && coding.code ? ACVPU_BY_CODE.get(coding.code) : undefined;
    if (level) {
      return { value: level, time, observation };
    }
  }
  return undefined;
}

function candidates(observations: readonly Observation[]): Map<News2Parameter, Candidate<unknown>[]> {
  const byParameter = new Map<News2Parameter, Candidate<unknown>[]>(NEWS2_PARAMETERS.map((p) => [p, []]));
  for (const observation of observations) {
    const readings = readVitalSigns(observation);
    for (const parameter of NEWS2_PARAMETERS) {
      const kind = KIND_FOR_PARAMETER[parameter];
      const reading = kind && readings.find((r) => r.kind === kind);
      if (reading) {
        byParameter.get(parameter)?.push({ value: reading.value, time: reading.time, observation });
      }
    }
    const oxygen = readings.find((r) => r.kind === 'inhaledOxygenFlowRate');
    if (oxygen) {
      const value: AirOrOxygen = oxygen.value > 0 ? 'oxygen' : 'air';
      byParameter.get('airOrOxygen')?.push({ value, time: oxygen.time, observation });
    }
    const acvpu = readAcvpu(observation);
    if (acvpu) {
      byParameter.get('consciousness')?.push(acvpu);
    }
  }
  return byParameter;
}

function newer(a: Candidate<unknown>, b: Candidate<unknown>): boolean {
  const dt = a.time.getTime() - b.time.getTime();
  return dt > 0 || (dt === 0 && (a.observation.id ?? '') < (b.observation.id ?? ''));
}

/**
 * The NEWS2 inputs from a patient's recent Observations (see above), with the Observations they came from; or, when
 * an input has no usable Observation in the window, which inputs are missing.
 */
export function completeNews2Inputs(
  observations: readonly Observation[],
  options: CompleteNews2Options
): CompleteNews2InputsResult {
  if (!Number.isFinite(options.windowMinutes) || options.windowMinutes < 0) {
    throw new RangeError(`windowMinutes must be a non-negative number, not ${options.windowMinutes}`);
  }
  const byParameter = candidates(observations);
  const all = [...byParameter.values()].flat();
  if (all.length === 0) {
    return { complete: false, missing: [...NEWS2_PARAMETERS], partial: {}, used: {}, observations: [] };
  }
  const windowEnd = new Date(Math.max(...all.map((c) => c.time.getTime())));
  const windowStart = new Date(windowEnd.getTime() - options.windowMinutes * 60_000);
  const chosen: Partial<Record<News2Parameter, Candidate<unknown>>> = {};
  for (const [parameter, list] of byParameter) {
    for (const candidate of list) {
      if (candidate.time < windowStart) {
        continue;
      }
      const current = chosen[parameter];
      if (!current || newer(candidate, current)) {
        chosen[parameter] = candidate;
      }
    }
  }
  const used: Partial<Record<News2Parameter, Observation>> = {};
  const partial: Partial<Record<News2Parameter, unknown>> = {};
  const distinct: Observation[] = [];
  for (const parameter of NEWS2_PARAMETERS) {
    const candidate = chosen[parameter];
    if (candidate) {
      used[parameter] = candidate.observation;
      partial[parameter] = candidate.value;
      if (!distinct.includes(candidate.observation)) {
        distinct.push(candidate.observation);
      }
    }
  }
  const missing = NEWS2_PARAMETERS.filter((p) => !chosen[p]);
  if (missing.length > 0) {
    return {
      complete: false,
      missing,
      partial: partial as Partial<News2Inputs>,
      used,
      observations: distinct,
      windowStart,
      windowEnd,
    };
  }
  const inputs = { ...partial, spo2Scale: options.spo2Scale ?? 1 } as News2Inputs;
  return { complete: true, inputs, used, observations: distinct, windowStart, windowEnd };
}
