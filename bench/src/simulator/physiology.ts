// Simulated physiology of one monitored patient: a baseline, diurnal rhythm, noise and occasional deteriorations.
import { around, between, hashSeed, seededRandom, type Random } from '../prng.ts';

/** One set of vital signs as the devices would measure them (before rounding to device resolution). */
export interface VitalSigns {
  heartRate: number;
  spo2: number;
  systolic: number;
  diastolic: number;
  temperature: number;
  respiratoryRate: number;
  weight: number;
}

/** What a deterioration does at its worst (an exacerbation of heart failure or a chest infection). */
const WORST_DETERIORATION: VitalSigns = {
  heartRate: 32,
  spo2: -9,
  systolic: -28,
  diastolic: -12,
  temperature: 1.8,
  respiratoryRate: 11,
  weight: 2.5,
};

export interface PhysiologyOptions {
  /** Chance per reading that a deterioration starts (when none is under way). */
  deteriorationChance: number;
  /** How many readings a deterioration lasts: it worsens to its peak halfway, then recovers. */
  deteriorationReadings: number;
}

export const DEFAULT_PHYSIOLOGY: PhysiologyOptions = { deteriorationChance: 0.02, deteriorationReadings: 10 };

export interface PatientState {
  baseline: VitalSigns;
  random: Random;
  /** Readings left in the current deterioration (0: well). */
  deteriorationLeft: number;
  deteriorationsStarted: number;
}

/**
 * A patient's state: the baseline belongs to the patient (index) alone, because the simulated patients are the same
 * Patients on every run against one server and their weight trend must not jump; the seed drives noise and events.
 */
export function newPatientState(seed: number, patientIndex: number): PatientState {
  const own = seededRandom(hashSeed(0xba5e1, patientIndex));
  const baseline: VitalSigns = {
    heartRate: between(own, 60, 84),
    spo2: between(own, 95, 98.5),
    systolic: between(own, 115, 148),
    diastolic: between(own, 68, 88),
    temperature: between(own, 36.4, 36.9),
    respiratoryRate: between(own, 12, 18),
    weight: between(own, 55, 110),
  };
  return {
    baseline,
    random: seededRandom(hashSeed(seed, 0x5170, patientIndex)),
    deteriorationLeft: 0,
    deteriorationsStarted: 0,
  };
}

/**
 * Circadian rhythm at a local hour: −1 at the 04:00 nadir, +1 at the 16:00 peak (heart rate, blood pressure and
 * temperature all follow roughly this shape).
 */
export function circadian(localHour: number): number {
  return -Math.cos(((localHour - 4) / 24) * 2 * Math.PI);
}

/** How far into its worst a deterioration is: rises to 1 halfway through, falls back to about 0. */
export function deteriorationSeverity(left: number, total: number): number {
  if (left <= 0) return 0;
  const elapsed = total - left + 1;
  return Math.sin((elapsed / (total + 1)) * Math.PI);
}

/** The next measured vital signs of a patient at a local hour; advances the patient's state. */
export function nextVitalSigns(
  state: PatientState,
  localHour: number,
  options: PhysiologyOptions = DEFAULT_PHYSIOLOGY
): VitalSigns {
  const { baseline, random } = state;
  if (state.deteriorationLeft === 0 && random() < options.deteriorationChance) {
    state.deteriorationLeft = options.deteriorationReadings;
    state.deteriorationsStarted += 1;
  }
  const severity = deteriorationSeverity(state.deteriorationLeft, options.deteriorationReadings);
  if (state.deteriorationLeft > 0) state.deteriorationLeft -= 1;
  const rhythm = circadian(localHour);
  const worse = (key: keyof VitalSigns) => WORST_DETERIORATION[key] * severity;
  const systolic = baseline.systolic + 8 * rhythm + worse('systolic') + around(random, 0, 6);
  return {
    heartRate: baseline.heartRate + 6 * rhythm + worse('heartRate') + around(random, 0, 4),
    spo2: Math.min(100, baseline.spo2 + worse('spo2') + around(random, 0, 1)),
    systolic,
    diastolic: Math.min(systolic - 20, baseline.diastolic + 5 * rhythm + worse('diastolic') + around(random, 0, 4)),
    temperature: baseline.temperature + 0.3 * rhythm + worse('temperature') + around(random, 0, 0.15),
    respiratoryRate: baseline.respiratoryRate + worse('respiratoryRate') + around(random, 0, 1.5),
    weight: baseline.weight + worse('weight') + around(random, 0, 0.3),
  };
}
