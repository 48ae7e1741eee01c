// A reading typed in by the patient: checks each value (a number, in its plausible range), then FHIR Observations.
import type { Observation } from '@medplum/fhirtypes';
import { readingToObservations, type DecodedReading, type ReadingContext } from '../bluetooth/readingToObservation.ts';
import { LOINC, MDC, MEASURES } from '../bluetooth/vitalSignCodes.ts';
import type { VitalField, VitalSign } from './vitalSigns.ts';

export type FieldErrors = Record<string, string>;

/** What the patient typed, by field name. */
export type TypedValues = Record<string, string>;

/** A value as typed: "36,8" and " 36.8 " are 36.8; anything else that is not a plain number is refused. */
export function parseTyped(text: string): number | undefined {
  const clean = text.trim().replace(',', '.');
  return /^\d+(\.\d+)?$/.test(clean) ? Number(clean) : undefined;
}

function fieldError(field: VitalField, text: string): string | undefined {
  if (!text.trim()) {
    return field.optional ? undefined : `Type your ${field.label.toLowerCase()}.`;
  }
  const value = parseTyped(text);
  if (value === undefined) {
    return `Type a number, like ${field.decimals ? `${field.min + 1}.5` : field.min + 10}.`;
  }
  const decimals = text.trim().replace(',', '.').split('.')[1]?.length ?? 0;
  if (decimals > field.decimals) {
    return field.decimals ? `Use at most ${field.decimals} number after the dot.` : 'Type a whole number, with no dot.';
  }
  if (value < field.min || value > field.max) {
    return `This number looks wrong. It should be between ${field.min} and ${field.max} ${field.unitWords}. Check it and type it again.`;
  }
  return undefined;
}

/** Errors by field name (empty when the reading can be sent), in plain words; the typed text is never changed. */
export function checkReading(vital: VitalSign, typed: TypedValues): FieldErrors {
  const errors: FieldErrors = {};
  for (const field of vital.fields) {
    const problem = fieldError(field, typed[field.name] ?? '');
    if (problem) {
      errors[field.name] = problem;
    }
  }
  if (vital.key === 'blood-pressure' && !errors.systolic && !errors.diastolic) {
    if ((parseTyped(typed.systolic) as number) <= (parseTyped(typed.diastolic) as number)) {
      errors.diastolic = 'The bottom number should be smaller than the top number. Check them and type them again.';
    }
  }
  return errors;
}

const number = (value: number) => ({ kind: 'number' as const, value });

/** The reading as the Bluetooth module's reading types, so the same Observation builder makes both. */
function asDecodedReading(vital: VitalSign, values: Record<string, number | undefined>): DecodedReading {
  switch (vital.key) {
    case 'blood-pressure':
      return {
        kind: 'blood-pressure',
        unit: 'mmHg',
        systolic: number(values.systolic as number),
        diastolic: number(values.diastolic as number),
        // Not measured by hand: removed from the panel below.
        meanArterialPressure: { kind: 'special', special: 'nan' },
        ...(values.pulse === undefined ? {} : { pulseRate: number(values.pulse) }),
      };
    case 'spo2':
      // The oximeter's pulse is not asked for: only the SpO2 Observation is kept below.
      return { kind: 'pulse-oximetry', spo2: number(values.spo2 as number), pulseRate: number(0) };
    case 'temperature':
      return { kind: 'temperature', unit: 'Cel', temperature: number(values.temperature as number) };
    case 'weight':
      return { kind: 'weight', unit: 'kg', weight: values.weight };
    case 'blood-glucose':
      return {
        kind: 'glucose',
        sequenceNumber: 0,
        baseTime: { hours: 0, minutes: 0, seconds: 0 },
        concentration: number(values.glucose as number),
        unit: 'mmol/L',
        contextFollows: false,
      };
    case 'heart-rate':
    case 'respiratory-rate':
      return { kind: 'heart-rate', heartRate: values.rate as number, sensorContact: 'not-supported', rrIntervals: [] };
  }
}

/** Codes of a hand-entered value: LOINC only (an MDC code names a device's measurement). */
function withoutMdc(observation: Observation): Observation {
  return {
    ...observation,
    code: { ...observation.code, coding: observation.code.coding?.filter((c) => c.system !== MDC) },
    ...(observation.component
      ? {
          component: observation.component.map((c) => ({
            ...c,
            code: { ...c.code, coding: c.code.coding?.filter((coding) => coding.system !== MDC) },
          })),
        }
      : {}),
  };
}

/**
 * The patient-entered Observations of a checked reading (`checkReading` gave no errors), built by the Bluetooth
 * module's `readingToObservations` with `source: 'patient-entered'` (method code, performer = the patient). A blood
 * pressure is the panel (systolic, diastolic) and, when typed, a pulse; a breathing rate is the heart-rate shape
 * recoded as LOINC 9279-1.
 */
export function manualObservations(
  vital: VitalSign,
  typed: TypedValues,
  patient: string,
  takenAt: Date
): Observation[] {
  const values = Object.fromEntries(vital.fields.map((f) => [f.name, parseTyped(typed[f.name] ?? '')]));
  const reading = asDecodedReading(vital, values);
  const context: ReadingContext = { patient, source: 'patient-entered', receivedAt: takenAt, utcOffsetMinutes: 0 };
  let observations = readingToObservations(reading, context).map(withoutMdc);
  if (vital.key === 'blood-pressure') {
    observations = observations.map((o) =>
      o.component
        ? {
            ...o,
            component: o.component.filter((c) => c.code.coding?.[0]?.code !== MEASURES.meanArterialPressure.loinc),
          }
        : o
    );
  }
  if (vital.key === 'spo2') {
    observations = observations.slice(0, 1);
  }
  if (vital.key === 'respiratory-rate') {
    const rr = MEASURES.respiratoryRate;
    observations = observations.map((o) => ({
      ...o,
      code: { coding: [{ system: LOINC, code: rr.loinc, display: rr.loincDisplay }], text: rr.loincDisplay },
    }));
  }
  return observations;
}

/** The reading in words for lists: "130/85 mmHg, pulse 70 beats/min", "36.8 °C". */
export function readingSummary(vital: VitalSign, typed: TypedValues): string {
  if (vital.key === 'blood-pressure') {
    const pulse = typed.pulse?.trim() ? `, pulse ${typed.pulse.trim()} beats/min` : '';
    return `${typed.systolic.trim()}/${typed.diastolic.trim()} mmHg${pulse}`;
  }
  const field = vital.fields[0];
  return `${(typed[field.name] ?? '').trim().replace(',', '.')} ${field.unit}`;
}
