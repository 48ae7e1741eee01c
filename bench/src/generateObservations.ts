// Vital-sign Observations (R4 vitalsigns profile, PHD IG identifiers) for monitored patients, deterministic from a seed.
import type { Observation, ObservationComponent, Quantity } from '@medplum/fhirtypes';
import { around, between, hashSeed, seededRandom, type Random } from './prng.ts';

export const PHD_OBSERVATION_IDENTIFIER_SYSTEM = 'http://hl7.org/fhir/uv/phd/StructureDefinition/PhdBaseObservation';
export const LOINC = 'http://loinc.org';
export const MDC = 'urn:iso:std:iso:11073:10101';
export const UCUM = 'http://unitsofmeasure.org';
export const HEART_RATE_LOINC = '8867-4';
const CATEGORY_SYSTEM = 'http://terminology.hl7.org/CodeSystem/observation-category';
const DAY_MS = 86_400_000;

/** Which readings to generate: `perPatient` readings per patient spread over the `windowDays` before `anchorMs`. */
export interface ReadingPlan {
  seed: number;
  perPatient: number;
  anchorMs: number;
  windowDays: number;
}

/** A patient already stored on the server: its position in the run (for seeding) and its server id. */
export interface MonitoredPatient {
  index: number;
  id: string;
}

type DeviceKind = 'bp-cuff' | 'pulse-oximeter' | 'thermometer' | 'scale';
type VitalSignKind = 'heart-rate' | 'blood-pressure' | 'spo2' | 'body-temperature' | 'respiratory-rate' | 'body-weight';

/** Share of each kind among a patient's readings (heart rate from cuff and oximeter is the most frequent). */
const KIND_WEIGHTS: readonly [VitalSignKind, number][] = [
  ['heart-rate', 0.3],
  ['blood-pressure', 0.2],
  ['spo2', 0.2],
  ['body-temperature', 0.1],
  ['respiratory-rate', 0.1],
  ['body-weight', 0.1],
];

const DEVICE_PREFIX: Record<DeviceKind, string> = {
  'bp-cuff': '0009FB01',
  'pulse-oximeter': '0009FB02',
  thermometer: '0009FB03',
  scale: '0009FB04',
};

/** Per-patient baseline values, so each patient's readings vary around their own normal. */
interface Baseline {
  heartRate: number;
  systolic: number;
  diastolic: number;
  spo2: number;
  temperature: number;
  respiratoryRate: number;
  weight: number;
}

function baselineFor(seed: number, patientIndex: number): Baseline {
  const random = seededRandom(hashSeed(seed, 0xba5e11e, patientIndex));
  return {
    heartRate: between(random, 58, 92),
    systolic: between(random, 108, 162),
    diastolic: between(random, 64, 96),
    spo2: between(random, 93.5, 98.5),
    temperature: between(random, 36.3, 37.1),
    respiratoryRate: between(random, 12, 20),
    weight: between(random, 50, 115),
  };
}

/** When reading k happens and what it measures; the random stream continues into its value. */
interface ReadingSlot {
  random: Random;
  timeMs: number;
  kind: VitalSignKind;
}

function readingSlot(plan: ReadingPlan, patientIndex: number, k: number): ReadingSlot {
  const random = seededRandom(hashSeed(plan.seed, patientIndex, k));
  const windowMs = plan.windowDays * DAY_MS;
  const spacing = windowMs / plan.perPatient;
  // Evenly spaced slots with jitter inside each slot: times strictly increase and never reach the anchor.
  const offset = (k + between(random, 0.1, 0.9)) * spacing;
  const timeMs = Math.floor((plan.anchorMs - windowMs + offset) / 1000) * 1000;
  const draw = random();
  let cumulative = 0;
  let kind: VitalSignKind = KIND_WEIGHTS[KIND_WEIGHTS.length - 1][0];
  for (const [candidate, weight] of KIND_WEIGHTS) {
    cumulative += weight;
    if (draw < cumulative) {
      kind = candidate;
      break;
    }
  }
  return { random, timeMs, kind };
}

function quantity(value: number, unit: string, code: string): Quantity {
  return { value, unit, system: UCUM, code };
}

function round(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

function compactTimestamp(timeMs: number): string {
  return new Date(timeMs).toISOString().slice(0, 19).replace(/[-T:]/g, '');
}

function deviceId(kind: DeviceKind, patientIndex: number): string {
  return `${DEVICE_PREFIX[kind]}${patientIndex.toString(16).toUpperCase().padStart(8, '0')}`;
}

interface Measured {
  device: DeviceKind;
  loinc: [string, string];
  extraLoinc?: [string, string];
  mdc: [string, string];
  value?: Quantity;
  component?: ObservationComponent[];
}

function measure(kind: VitalSignKind, random: Random, base: Baseline): Measured {
  switch (kind) {
    case 'heart-rate': {
      const fromCuff = random() < 0.4;
      return {
        device: fromCuff ? 'bp-cuff' : 'pulse-oximeter',
        loinc: [HEART_RATE_LOINC, 'Heart rate'],
        mdc: fromCuff ? ['149546', 'MDC_PULS_RATE_NON_INV'] : ['149530', 'MDC_PULS_OXIM_PULS_RATE'],
        value: quantity(Math.round(around(random, base.heartRate, 8)), 'beats/minute', '/min'),
      };
    }
    case 'blood-pressure': {
      const systolic = Math.round(around(random, base.systolic, 10));
      const diastolic = Math.min(systolic - 20, Math.round(around(random, base.diastolic, 7)));
      const pressure = (
        code: string,
        display: string,
        mdc: string,
        mdcDisplay: string,
        value: number
      ): ObservationComponent => ({
        code: {
          coding: [
            { system: LOINC, code, display },
            { system: MDC, code: mdc, display: mdcDisplay },
          ],
        },
        valueQuantity: quantity(value, 'mmHg', 'mm[Hg]'),
      });
      return {
        device: 'bp-cuff',
        loinc: ['85354-9', 'Blood pressure panel with all children optional'],
        mdc: ['150020', 'MDC_PRESS_BLD_NONINV'],
        component: [
          pressure('8480-6', 'Systolic blood pressure', '150021', 'MDC_PRESS_BLD_NONINV_SYS', systolic),
          pressure('8462-4', 'Diastolic blood pressure', '150022', 'MDC_PRESS_BLD_NONINV_DIA', diastolic),
        ],
      };
    }
    case 'spo2':
      return {
        device: 'pulse-oximeter',
        loinc: ['2708-6', 'Oxygen saturation in Arterial blood'],
        extraLoinc: ['59408-5', 'Oxygen saturation in Arterial blood by Pulse oximetry'],
        mdc: ['150456', 'MDC_PULS_OXIM_SAT_O2'],
        value: quantity(Math.min(100, Math.round(around(random, base.spo2, 1.5))), '%', '%'),
      };
    case 'body-temperature':
      return {
        device: 'thermometer',
        loinc: ['8310-5', 'Body temperature'],
        mdc: ['150364', 'MDC_TEMP_BODY'],
        value: quantity(round(around(random, base.temperature, 0.35), 1), 'C', 'Cel'),
      };
    case 'respiratory-rate':
      return {
        device: 'pulse-oximeter',
        loinc: ['9279-1', 'Respiratory rate'],
        mdc: ['151562', 'MDC_RESP_RATE'],
        value: quantity(Math.round(around(random, base.respiratoryRate, 2)), 'breaths/minute', '/min'),
      };
    case 'body-weight':
      return {
        device: 'scale',
        loinc: ['29463-7', 'Body weight'],
        mdc: ['188736', 'MDC_MASS_BODY_ACTUAL'],
        value: quantity(round(around(random, base.weight, 0.8), 1), 'kg', 'kg'),
      };
  }
}

function toObservation(patient: MonitoredPatient, slot: ReadingSlot, base: Baseline): Observation {
  const measured = measure(slot.kind, slot.random, base);
  const effective = new Date(slot.timeMs).toISOString().replace('.000Z', 'Z');
  const coding = [{ system: LOINC, code: measured.loinc[0], display: measured.loinc[1] }];
  if (measured.extraLoinc) {
    coding.push({ system: LOINC, code: measured.extraLoinc[0], display: measured.extraLoinc[1] });
  }
  coding.push({ system: MDC, code: measured.mdc[0], display: measured.mdc[1] });
  const observation: Observation = {
    resourceType: 'Observation',
    identifier: [
      {
        system: PHD_OBSERVATION_IDENTIFIER_SYSTEM,
        value: [
          deviceId(measured.device, patient.index),
          patient.id,
          compactTimestamp(slot.timeMs),
          measured.mdc[0],
        ].join('-'),
      },
    ],
    status: 'final',
    category: [
      { coding: [{ system: CATEGORY_SYSTEM, code: 'vital-signs', display: 'Vital Signs' }], text: 'Vital Signs' },
    ],
    code: { coding, text: measured.loinc[1] },
    subject: { reference: `Patient/${patient.id}` },
    effectiveDateTime: effective,
  };
  if (measured.value) {
    observation.valueQuantity = measured.value;
  }
  if (measured.component) {
    observation.component = measured.component;
  }
  return observation;
}

/** Readings k in [from, to) of one patient, in time order. */
export function patientReadings(plan: ReadingPlan, patient: MonitoredPatient, from: number, to: number): Observation[] {
  const base = baselineFor(plan.seed, patient.index);
  const readings: Observation[] = [];
  for (let k = from; k < Math.min(to, plan.perPatient); k++) {
    readings.push(toObservation(patient, readingSlot(plan, patient.index, k), base));
  }
  return readings;
}

/** How many heart-rate readings the plan gives this patient at or after sinceMs (what the 30-day search should find). */
export function heartRateReadingsSince(plan: ReadingPlan, patientIndex: number, sinceMs: number): number {
  let count = 0;
  for (let k = 0; k < plan.perPatient; k++) {
    const slot = readingSlot(plan, patientIndex, k);
    if (slot.kind === 'heart-rate' && slot.timeMs >= sinceMs) {
      count++;
    }
  }
  return count;
}
