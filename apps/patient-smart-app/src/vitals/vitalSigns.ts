// The vital signs a patient can enter by hand: plain names, fields with units and plausible ranges, LOINC codes.
import { MEASURES, SPO2_PULSE_OXIMETRY_LOINC } from '../bluetooth/vitalSignCodes.ts';

export interface VitalField {
  /** Key of the value in the form. */
  name: string;
  /** The field's label in plain words (the unit is shown beside it). */
  label: string;
  /** The unit as the patient reads it, e.g. "mmHg", "°C". */
  unit: string;
  /** The unit in words, for screen readers and the hint, e.g. "beats a minute". */
  unitWords: string;
  /** Plausible range (inclusive): values outside are refused by the app before sending. */
  min: number;
  max: number;
  /** Decimal places allowed (0: whole numbers). */
  decimals: number;
  /** Not required (e.g. the pulse with a blood pressure). */
  optional?: boolean;
}

export type VitalKey =
  'blood-pressure' | 'heart-rate' | 'spo2' | 'temperature' | 'weight' | 'respiratory-rate' | 'blood-glucose';

export interface VitalSign {
  key: VitalKey;
  /** Plain name, e.g. "Blood pressure". */
  name: string;
  /** One sentence on how to measure, reading age ~9. */
  hint: string;
  fields: VitalField[];
  /** LOINC codes: an Observation coded with any of them is a reading of this vital sign (today's "done"). */
  codes: string[];
}

export const VITAL_SIGNS: readonly VitalSign[] = [
  {
    key: 'blood-pressure',
    name: 'Blood pressure',
    hint: 'Sit still for 5 minutes first. Type the numbers your blood pressure machine shows.',
    fields: [
      { name: 'systolic', label: 'Top number', unit: 'mmHg', unitWords: 'mmHg', min: 50, max: 260, decimals: 0 },
      { name: 'diastolic', label: 'Bottom number', unit: 'mmHg', unitWords: 'mmHg', min: 30, max: 160, decimals: 0 },
      {
        name: 'pulse',
        label: 'Pulse',
        unit: 'beats/min',
        unitWords: 'beats a minute',
        min: 25,
        max: 250,
        decimals: 0,
        optional: true,
      },
    ],
    codes: [MEASURES.bloodPressurePanel.loinc, MEASURES.systolic.loinc],
  },
  {
    key: 'heart-rate',
    name: 'Heart rate',
    hint: 'Sit still for a minute first. Type the number of heart beats in one minute.',
    fields: [
      {
        name: 'rate',
        label: 'Heart rate',
        unit: 'beats/min',
        unitWords: 'beats a minute',
        min: 25,
        max: 250,
        decimals: 0,
      },
    ],
    codes: [MEASURES.pulseRateCuff.loinc],
  },
  {
    key: 'spo2',
    name: 'Oxygen level',
    hint: 'Put the clip on your finger and wait until the number stops changing.',
    fields: [
      { name: 'spo2', label: 'Oxygen level (SpO2)', unit: '%', unitWords: 'percent', min: 50, max: 100, decimals: 0 },
    ],
    codes: [MEASURES.spo2.loinc, SPO2_PULSE_OXIMETRY_LOINC],
  },
  {
    key: 'temperature',
    name: 'Temperature',
    hint: 'Use your thermometer. Type the number it shows in degrees Celsius.',
    fields: [
      {
        name: 'temperature',
        label: 'Temperature',
        unit: '°C',
        unitWords: 'degrees Celsius',
        min: 30,
        max: 44,
        decimals: 1,
      },
    ],
    codes: [MEASURES.bodyTemperature.loinc],
  },
  {
    key: 'weight',
    name: 'Weight',
    hint: 'Weigh yourself in the morning, after using the toilet and before eating.',
    fields: [{ name: 'weight', label: 'Weight', unit: 'kg', unitWords: 'kilograms', min: 20, max: 350, decimals: 1 }],
    codes: [MEASURES.bodyWeight.loinc],
  },
  {
    key: 'respiratory-rate',
    name: 'Breathing rate',
    hint: 'Count how many breaths you take in one minute while sitting still.',
    fields: [
      {
        name: 'rate',
        label: 'Breaths in one minute',
        unit: 'breaths/min',
        unitWords: 'breaths a minute',
        min: 4,
        max: 70,
        decimals: 0,
      },
    ],
    codes: [MEASURES.respiratoryRate.loinc],
  },
  {
    key: 'blood-glucose',
    name: 'Blood sugar',
    hint: 'Use your blood sugar meter. Type the number it shows in mmol/L.',
    fields: [
      {
        name: 'glucose',
        label: 'Blood sugar',
        unit: 'mmol/L',
        unitWords: 'millimoles per litre',
        min: 1,
        max: 40,
        decimals: 1,
      },
    ],
    codes: [MEASURES.glucoseMolar.loinc, MEASURES.glucoseCapillary.loinc],
  },
];

export function vitalSign(key: string): VitalSign | undefined {
  return VITAL_SIGNS.find((vital) => vital.key === key);
}

/** The vital sign an Observation is a reading of (by its LOINC codes), if any. */
export function vitalOfCodes(codes: readonly string[]): VitalSign | undefined {
  return VITAL_SIGNS.find((vital) => vital.codes.some((code) => codes.includes(code)));
}
