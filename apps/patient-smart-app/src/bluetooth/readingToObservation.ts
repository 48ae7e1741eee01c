// Turns a decoded Bluetooth reading into FHIR R4 vital-sign Observations (special values become dataAbsentReason).
import type { CodeableConcept, Identifier, Observation, ObservationComponent, Quantity } from '@medplum/fhirtypes';
import type { BloodPressureReading } from './bloodPressureMeasurement.ts';
import type { GattDateTime } from './gattReader.ts';
import type { GlucoseReading } from './glucoseMeasurement.ts';
import type { HeartRateReading } from './heartRateMeasurement.ts';
import type { MedicalFloat, SpecialValue } from './ieee11073Float.ts';
import type { PulseOximetryReading } from './plxSpotCheckMeasurement.ts';
import { TEMPERATURE_SITES, type TemperatureReading } from './temperatureMeasurement.ts';
import {
  DATA_ABSENT_REASON,
  LOINC,
  MDC,
  MEASURES,
  OBSERVATION_CATEGORY,
  PHD_OBSERVATION_IDENTIFIER_SYSTEM,
  READING_SOURCE_SYSTEM,
  SPO2_PULSE_OXIMETRY_LOINC,
  UCUM,
  type MeasureCode,
} from './vitalSignCodes.ts';
import type { WeightReading } from './weightMeasurement.ts';

export type DecodedReading =
  BloodPressureReading | HeartRateReading | PulseOximetryReading | TemperatureReading | WeightReading | GlucoseReading;

export interface ReadingContext {
  /** "Patient/<id>" or a bundle's urn:uuid. */
  patient: string;
  /** "Device/<id>" or a urn:uuid; required for device readings. */
  device?: string;
  /** `device`: read from the device; `patient-entered`: typed in by the patient (then no device is recorded). */
  source: 'device' | 'patient-entered';
  /** When the app received the reading: the time used when the device's own clock gave no full date. */
  receivedAt: Date;
  /** Offset of the device's local clock from UTC, minutes (GATT timestamps carry no zone). */
  utcOffsetMinutes: number;
  /** The device's and patient's identifiers for the PHD de-duplication identifier; none when absent. */
  phdIdentity?: { deviceId: string; patientId: string };
}

/** Why a special value is absent (R4 data-absent-reason; NRes and reserved values are device errors). */
const ABSENT_REASON: Record<SpecialValue, string> = {
  nan: 'not-a-number',
  nres: 'error',
  'positive-infinity': 'positive-infinity',
  'negative-infinity': 'negative-infinity',
  reserved: 'error',
};

const UNIT_DISPLAY: Record<string, string> = {
  'mm[Hg]': 'mmHg',
  kPa: 'kPa',
  '/min': '/min',
  '%': '%',
  Cel: '°C',
  '[degF]': '°F',
  kg: 'kg',
  '[lb_av]': 'lb',
  'mg/dL': 'mg/dL',
  'mmol/L': 'mmol/L',
};

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

/** The device's timestamp as an ISO date-time with the clock's offset; undefined without a full date. */
export function gattDateTimeToIso(time: GattDateTime | undefined, utcOffsetMinutes: number): string | undefined {
  if (!time?.year || !time.month || !time.day) {
    return undefined;
  }
  const sign = utcOffsetMinutes < 0 ? '-' : '+';
  const offset = Math.abs(utcOffsetMinutes);
  return (
    `${pad(time.year, 4)}-${pad(time.month)}-${pad(time.day)}T${pad(time.hours)}:${pad(time.minutes)}:` +
    `${pad(time.seconds)}${sign}${pad(Math.floor(offset / 60))}:${pad(offset % 60)}`
  );
}

/** PHD IG identifier: device id, patient id, the device's timestamp (yyyyMMddHHmmss, UTC) and MDC code joined by "-". */
export function phdObservationIdentifier(
  deviceId: string,
  patientId: string,
  effective: string,
  mdc: string
): Identifier {
  const compact = new Date(effective).toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return { system: PHD_OBSERVATION_IDENTIFIER_SYSTEM, value: `${deviceId}-${patientId}-${compact}-${mdc}` };
}

function code(measure: MeasureCode, extraLoinc?: string): CodeableConcept {
  return {
    coding: [
      { system: LOINC, code: measure.loinc, display: measure.loincDisplay },
      ...(extraLoinc ? [{ system: LOINC, code: extraLoinc }] : []),
      ...(measure.mdc ? [{ system: MDC, code: measure.mdc }] : []),
    ],
    text: measure.loincDisplay,
  };
}

function quantity(value: number, ucum: string): Quantity {
  return { value, unit: UNIT_DISPLAY[ucum] ?? ucum, system: UCUM, code: ucum };
}

/** valueQuantity, or dataAbsentReason for a special value. */
function valueOf(value: MedicalFloat, ucum: string): Pick<Observation, 'valueQuantity' | 'dataAbsentReason'> {
  return value.kind === 'number'
    ? { valueQuantity: quantity(value.value, ucum) }
    : { dataAbsentReason: { coding: [{ system: DATA_ABSENT_REASON, code: ABSENT_REASON[value.special] }] } };
}

function component(measure: MeasureCode, value: MedicalFloat, ucum: string): ObservationComponent {
  return { code: code(measure), ...valueOf(value, ucum) };
}

function numberValue(value: number | undefined): MedicalFloat {
  return value === undefined ? { kind: 'special', special: 'nres' } : { kind: 'number', value };
}

/** Everything the readings of one measurement share: status, category, subject, time, device or patient entry. */
function base(context: ReadingContext, effective: string, measure: MeasureCode, extraLoinc?: string): Observation {
  if (context.source === 'device' && !context.device) {
    throw new Error('a device reading needs the Device it came from (context.device)');
  }
  const identifier =
    context.phdIdentity && measure.mdc
      ? [phdObservationIdentifier(context.phdIdentity.deviceId, context.phdIdentity.patientId, effective, measure.mdc)]
      : undefined;
  return {
    resourceType: 'Observation',
    ...(identifier ? { identifier } : {}),
    status: 'final',
    category: [
      {
        coding: [
          measure === MEASURES.glucoseCapillary ||
          measure === MEASURES.glucosePlasma ||
          measure === MEASURES.glucoseMolar
            ? { system: OBSERVATION_CATEGORY, code: 'laboratory', display: 'Laboratory' }
            : { system: OBSERVATION_CATEGORY, code: 'vital-signs', display: 'Vital Signs' },
        ],
      },
    ],
    code: code(measure, extraLoinc),
    subject: { reference: context.patient },
    effectiveDateTime: effective,
    method: {
      coding: [
        context.source === 'device'
          ? { system: READING_SOURCE_SYSTEM, code: 'device', display: 'Read from a device' }
          : { system: READING_SOURCE_SYSTEM, code: 'patient-entered', display: 'Entered by the patient' },
      ],
    },
    ...(context.source === 'device'
      ? { device: { reference: context.device } }
      : { performer: [{ reference: context.patient }] }),
  };
}

function bloodPressure(reading: BloodPressureReading, context: ReadingContext, effective: string): Observation[] {
  const ucum = reading.unit === 'kPa' ? 'kPa' : 'mm[Hg]';
  const panel: Observation = {
    ...base(context, effective, MEASURES.bloodPressurePanel),
    component: [
      component(MEASURES.systolic, reading.systolic, ucum),
      component(MEASURES.diastolic, reading.diastolic, ucum),
      component(MEASURES.meanArterialPressure, reading.meanArterialPressure, ucum),
    ],
  };
  const pulse = reading.pulseRate
    ? [{ ...base(context, effective, MEASURES.pulseRateCuff), ...valueOf(reading.pulseRate, '/min') }]
    : [];
  return [panel, ...pulse];
}

function pulseOximetry(reading: PulseOximetryReading, context: ReadingContext, effective: string): Observation[] {
  return [
    { ...base(context, effective, MEASURES.spo2, SPO2_PULSE_OXIMETRY_LOINC), ...valueOf(reading.spo2, '%') },
    { ...base(context, effective, MEASURES.pulseRateOximeter), ...valueOf(reading.pulseRate, '/min') },
  ];
}

function temperature(reading: TemperatureReading, context: ReadingContext, effective: string): Observation[] {
  const site = reading.temperatureType === undefined ? undefined : TEMPERATURE_SITES[reading.temperatureType];
  return [
    {
      ...base(context, effective, MEASURES.bodyTemperature),
      ...valueOf(reading.temperature, reading.unit),
      ...(site ? { bodySite: { text: site } } : {}),
    },
  ];
}

function glucose(reading: GlucoseReading, context: ReadingContext, effective: string): Observation[] {
  if (!reading.concentration || !reading.unit) {
    return [];
  }
  const measure =
    reading.unit === 'mmol/L'
      ? MEASURES.glucoseMolar
      : reading.sampleType === 1
        ? MEASURES.glucoseCapillary
        : MEASURES.glucosePlasma;
  return [{ ...base(context, effective, measure), ...valueOf(reading.concentration, reading.unit) }];
}

/** When the reading was taken: the device's clock (plus the glucose time offset), else the time it was received. */
function effectiveTime(reading: DecodedReading, context: ReadingContext): string {
  const deviceTime = gattDateTimeToIso(
    reading.kind === 'glucose' ? reading.baseTime : 'timestamp' in reading ? reading.timestamp : undefined,
    context.utcOffsetMinutes
  );
  if (!deviceTime) {
    return context.receivedAt.toISOString();
  }
  if (reading.kind === 'glucose' && reading.timeOffsetMinutes) {
    const shifted = new Date(Date.parse(deviceTime) + reading.timeOffsetMinutes * 60_000);
    return gattDateTimeToIso(
      {
        year: shifted.getUTCFullYear(),
        month: shifted.getUTCMonth() + 1,
        day: shifted.getUTCDate(),
        hours: shifted.getUTCHours(),
        minutes: shifted.getUTCMinutes(),
        seconds: shifted.getUTCSeconds(),
      },
      0
    ) as string;
  }
  return deviceTime;
}

/**
 * The Observations one decoded reading makes: a blood pressure panel (and the cuff's pulse), SpO2 and the
 * oximeter's pulse, a heart rate, a temperature, a weight or a glucose. Special values become dataAbsentReason.
 */
export function readingToObservations(reading: DecodedReading, context: ReadingContext): Observation[] {
  const effective = effectiveTime(reading, context);
  switch (reading.kind) {
    case 'blood-pressure':
      return bloodPressure(reading, context, effective);
    case 'heart-rate':
      return [
        {
          ...base(context, effective, MEASURES.heartRateStrap),
          valueQuantity: quantity(reading.heartRate, '/min'),
        },
      ];
    case 'pulse-oximetry':
      return pulseOximetry(reading, context, effective);
    case 'temperature':
      return temperature(reading, context, effective);
    case 'weight':
      return [
        { ...base(context, effective, MEASURES.bodyWeight), ...valueOf(numberValue(reading.weight), reading.unit) },
      ];
    case 'glucose':
      return glucose(reading, context, effective);
  }
}
