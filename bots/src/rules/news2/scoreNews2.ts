// Scores NEWS2 from one set of vital signs: each parameter's score and the total, banded exactly as RCP 2017 chart 1.
import { roundHalfUp } from '../../fhir/rounding.ts';
import { news2ClinicalResponse } from './news2ClinicalResponse.ts';
import type { News2ClinicalResponse } from './news2ClinicalResponse.ts';

/**
 * Source: Royal College of Physicians. National Early Warning Score (NEWS) 2: Standardising the assessment of
 * acute-illness severity in the NHS. Updated report of a working party. London: RCP, 2017. Chart 1 (the NEWS2
 * scoring system):
 *
 * | Parameter              | 3     | 2        | 1         | 0                   | 1            | 2            | 3         |
 * | ---------------------- | ----- | -------- | --------- | ------------------- | ------------ | ------------ | --------- |
 * | Respiration rate /min  | ≤8    |          | 9–11      | 12–20               |              | 21–24        | ≥25       |
 * | SpO2 scale 1 %         | ≤91   | 92–93    | 94–95     | ≥96                 |              |              |           |
 * | SpO2 scale 2 %         | ≤83   | 84–85    | 86–87     | 88–92, ≥93 on air   | 93–94 on O2  | 95–96 on O2  | ≥97 on O2 |
 * | Air or oxygen          |       | oxygen   |           | air                 |              |              |           |
 * | Systolic BP mmHg       | ≤90   | 91–100   | 101–110   | 111–219             |              |              | ≥220      |
 * | Pulse /min             | ≤40   |          | 41–50     | 51–90               | 91–110       | 111–130      | ≥131      |
 * | Consciousness          |       |          |           | Alert               |              |              | C, V, P, U|
 * | Temperature °C         | ≤35.0 |          | 35.1–36.0 | 36.1–38.0           | 38.1–39.0    | ≥39.1        |           |
 *
 * Decimals at band edges: the chart bands whole numbers (and temperature in 0.1 °C), so every value is first rounded
 * half up to that resolution, then banded: respiration rate, SpO2, systolic BP and pulse to a whole number
 * (20.5/min → 21 → 2; 91.4 % → 91 → 3), temperature to one decimal (35.05 °C → 35.1 → 1; 38.04 °C → 38.0 → 0). A
 * reading is thereby scored as its value would be charted. Temperature in °F is converted before rounding (by the
 * caller; see completeNews2Inputs).
 *
 * SpO2 scale 2 is used only when `spo2Scale` is 2, a flag a clinician sets for a patient with hypercapnic
 * respiratory failure and a prescribed target of 88–92 %; it is never inferred from readings. On scale 2, SpO2 ≥ 93 %
 * scores 0 on air and 1, 2 or 3 on oxygen. Maximum total: 20.
 */

export type Acvpu = 'A' | 'C' | 'V' | 'P' | 'U';
export type AirOrOxygen = 'air' | 'oxygen';
export type Spo2Scale = 1 | 2;
export type ParameterScore = 0 | 1 | 2 | 3;

export type News2Parameter =
  'respirationRate' | 'spo2' | 'airOrOxygen' | 'systolicBp' | 'pulse' | 'consciousness' | 'temperature';

export const NEWS2_PARAMETERS: readonly News2Parameter[] = [
  'respirationRate',
  'spo2',
  'airOrOxygen',
  'systolicBp',
  'pulse',
  'consciousness',
  'temperature',
];

export interface News2Inputs {
  /** Breaths per minute. */
  respirationRate: number;
  /** Percent. */
  spo2: number;
  /** 2 only when set by a clinician for this patient (see above); 1 when absent. */
  spo2Scale?: Spo2Scale;
  airOrOxygen: AirOrOxygen;
  /** mmHg. */
  systolicBp: number;
  /** Beats per minute. */
  pulse: number;
  /** ACVPU: Alert, new Confusion, Voice, Pain, Unresponsive. */
  consciousness: Acvpu;
  /** Degrees Celsius. */
  temperature: number;
}

export interface News2Result {
  total: number;
  scores: Readonly<Record<News2Parameter, ParameterScore>>;
  spo2Scale: Spo2Scale;
  /** The inputs as they were banded (numbers after rounding). */
  banded: Readonly<Omit<News2Inputs, 'spo2Scale'>>;
  response: News2ClinicalResponse;
}

export function scoreRespirationRate(perMinute: number): ParameterScore {
  const rate = roundHalfUp(perMinute);
  if (rate <= 8) return 3;
  if (rate <= 11) return 1;
  if (rate <= 20) return 0;
  if (rate <= 24) return 2;
  return 3;
}

export function scoreSpo2Scale1(percent: number): ParameterScore {
  const spo2 = roundHalfUp(percent);
  if (spo2 <= 91) return 3;
  if (spo2 <= 93) return 2;
  if (spo2 <= 95) return 1;
  return 0;
}

export function scoreSpo2Scale2(percent: number, airOrOxygen: AirOrOxygen): ParameterScore {
  const spo2 = roundHalfUp(percent);
  if (spo2 <= 83) return 3;
  if (spo2 <= 85) return 2;
  if (spo2 <= 87) return 1;
  if (spo2 <= 92 || airOrOxygen === 'air') return 0;
  if (spo2 <= 94) return 1;
  if (spo2 <= 96) return 2;
  return 3;
}

export function scoreAirOrOxygen(airOrOxygen: AirOrOxygen): ParameterScore {
  return airOrOxygen === 'oxygen' ? 2 : 0;
}

export function scoreSystolicBp(mmHg: number): ParameterScore {
  const systolic = roundHalfUp(mmHg);
  if (systolic <= 90) return 3;
  if (systolic <= 100) return 2;
  if (systolic <= 110) return 1;
  if (systolic <= 219) return 0;
  return 3;
}

export function scorePulse(perMinute: number): ParameterScore {
  const pulse = roundHalfUp(perMinute);
  if (pulse <= 40) return 3;
  if (pulse <= 50) return 1;
  if (pulse <= 90) return 0;
  if (pulse <= 110) return 1;
  if (pulse <= 130) return 2;
  return 3;
}

export function scoreConsciousness(acvpu: Acvpu): ParameterScore {
  return acvpu === 'A' ? 0 : 3;
}

export function scoreTemperature(celsius: number): ParameterScore {
  const temperature = roundHalfUp(celsius, 1);
  if (temperature <= 35.0) return 3;
  if (temperature <= 36.0) return 1;
  if (temperature <= 38.0) return 0;
  if (temperature <= 39.0) return 1;
  return 2;
}

const ACVPU_VALUES: ReadonlySet<string> = new Set(['A', 'C', 'V', 'P', 'U']);

function checkInputs(inputs: News2Inputs): void {
  const numeric: [keyof News2Inputs, number][] = [
    ['respirationRate', inputs.respirationRate],
    ['spo2', inputs.spo2],
    ['systolicBp', inputs.systolicBp],
    ['pulse', inputs.pulse],
    ['temperature', inputs.temperature],
  ];
  for (const [name, value] of numeric) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new RangeError(`NEWS2 input ${name} must be a finite, non-negative number, not ${value}`);
    }
  }
  if (inputs.spo2 > 100) {
    throw new RangeError(`NEWS2 input spo2 is a percentage (0–100), not ${inputs.spo2}`);
  }
  if (!ACVPU_VALUES.has(inputs.consciousness)) {
    throw new RangeError(`NEWS2 input consciousness must be one of A, C, V, P, U, not ${inputs.consciousness}`);
  }
  if (inputs.airOrOxygen !== 'air' && inputs.airOrOxygen !== 'oxygen') {
    throw new RangeError(`NEWS2 input airOrOxygen must be air or oxygen, not ${inputs.airOrOxygen}`);
  }
  if (inputs.spo2Scale !== undefined && inputs.spo2Scale !== 1 && inputs.spo2Scale !== 2) {
    throw new RangeError(`NEWS2 SpO2 scale must be 1 or 2, not ${inputs.spo2Scale}`);
  }
}

/** Scores one complete set of NEWS2 inputs; throws a RangeError for an impossible input. */
export function scoreNews2(inputs: News2Inputs): News2Result {
  checkInputs(inputs);
  const spo2Scale = inputs.spo2Scale ?? 1;
  const scores: Record<News2Parameter, ParameterScore> = {
    respirationRate: scoreRespirationRate(inputs.respirationRate),
    spo2: spo2Scale === 2 ? scoreSpo2Scale2(inputs.spo2, inputs.airOrOxygen) : scoreSpo2Scale1(inputs.spo2),
    airOrOxygen: scoreAirOrOxygen(inputs.airOrOxygen),
    systolicBp: scoreSystolicBp(inputs.systolicBp),
    pulse: scorePulse(inputs.pulse),
    consciousness: scoreConsciousness(inputs.consciousness),
    temperature: scoreTemperature(inputs.temperature),
  };
  const values = NEWS2_PARAMETERS.map((p) => scores[p]);
  const total = values.reduce<number>((sum, score) => sum + score, 0);
  return {
    total,
    scores,
    spo2Scale,
    banded: {
      respirationRate: roundHalfUp(inputs.respirationRate),
      spo2: roundHalfUp(inputs.spo2),
      airOrOxygen: inputs.airOrOxygen,
      systolicBp: roundHalfUp(inputs.systolicBp),
      pulse: roundHalfUp(inputs.pulse),
      consciousness: inputs.consciousness,
      temperature: roundHalfUp(inputs.temperature, 1),
    },
    response: news2ClinicalResponse(total, values),
  };
}
