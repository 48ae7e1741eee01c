// What each simulated device reports at one tick: measured values (or a fault, or nothing) as FHIR Observations.
import type { Observation } from '@medplum/fhirtypes';
import type { MedicalFloat } from '../../../apps/patient-smart-app/src/bluetooth/ieee11073Float.ts';
import {
  readingToObservations,
  type DecodedReading,
  type ReadingContext,
} from '../../../apps/patient-smart-app/src/bluetooth/readingToObservation.ts';
import {
  LOINC,
  MDC,
  MEASURES,
  OBSERVATION_CATEGORY,
  READING_SOURCE_SYSTEM,
  UCUM,
} from '../../../apps/patient-smart-app/src/bluetooth/vitalSignCodes.ts';
import type { Random } from '../prng.ts';
import type { DeviceKind, SimulatedDevice } from './deviceKit.ts';
import type { VitalSigns } from './physiology.ts';

export interface ReadingChances {
  /** Chance a device takes no reading at a tick (the patient forgot, the device was off). */
  missed: number;
  /** Chance a device reports a fault: a special value (NaN, NRes) instead of a number. */
  fault: number;
}

export const DEFAULT_CHANCES: ReadingChances = { missed: 0.05, fault: 0.02 };

export interface DeviceUpload {
  device: SimulatedDevice;
  observations: Observation[];
  fault: boolean;
}

/** The bundle replaces subject and device with its own urn:uuids; these only satisfy the mapping. */
const PLACEHOLDER_CONTEXT = { patient: 'Patient/simulated', device: 'Device/simulated', source: 'device' } as const;

function measured(value: number, decimals = 0): MedicalFloat {
  return { kind: 'number', value: Number(value.toFixed(decimals)) };
}

/** A device's reading of the vital signs, as a decoded Bluetooth reading; `faulty` puts a special value in. */
function deviceReading(kind: DeviceKind, vitals: VitalSigns, faulty: boolean, random: Random): DecodedReading {
  const fault: MedicalFloat = { kind: 'special', special: random() < 0.5 ? 'nan' : 'nres' };
  switch (kind) {
    case 'pulse-oximeter':
      return {
        kind: 'pulse-oximetry',
        spo2: faulty ? fault : measured(vitals.spo2),
        pulseRate: faulty ? fault : measured(vitals.heartRate),
      };
    case 'blood-pressure-monitor': {
      const systolic = Math.round(vitals.systolic);
      const diastolic = Math.round(vitals.diastolic);
      return {
        kind: 'blood-pressure',
        unit: 'mmHg',
        systolic: faulty ? fault : measured(systolic),
        diastolic: faulty ? fault : measured(diastolic),
        meanArterialPressure: faulty ? fault : measured(diastolic + (systolic - diastolic) / 3),
        pulseRate: faulty ? fault : measured(vitals.heartRate),
      };
    }
    case 'thermometer':
      return { kind: 'temperature', unit: 'Cel', temperature: faulty ? fault : measured(vitals.temperature, 1) };
    case 'weighing-scale':
      return { kind: 'weight', unit: 'kg', weight: faulty ? undefined : Number(vitals.weight.toFixed(1)) };
  }
}

/** Respiratory rate estimated from the oximeter's plethysmogram (no Bluetooth characteristic carries it). */
function respiratoryRate(value: number, at: string): Observation {
  return {
    resourceType: 'Observation',
    status: 'final',
    category: [{ coding: [{ system: OBSERVATION_CATEGORY, code: 'vital-signs', display: 'Vital Signs' }] }],
    code: {
      coding: [
        { system: LOINC, code: MEASURES.respiratoryRate.loinc, display: MEASURES.respiratoryRate.loincDisplay },
        { system: MDC, code: MEASURES.respiratoryRate.mdc },
      ],
      text: MEASURES.respiratoryRate.loincDisplay,
    },
    subject: { reference: PLACEHOLDER_CONTEXT.patient },
    effectiveDateTime: at,
    method: { coding: [{ system: READING_SOURCE_SYSTEM, code: 'device', display: 'Read from a device' }] },
    valueQuantity: { value: Math.round(value), unit: '/min', system: UCUM, code: '/min' },
  };
}

/** Each device's upload at one tick; a missed reading leaves its device out. Uses (and advances) `random`. */
export function deviceUploads(
  kit: SimulatedDevice[],
  vitals: VitalSigns,
  at: Date,
  random: Random,
  chances: ReadingChances = DEFAULT_CHANCES
): DeviceUpload[] {
  const uploads: DeviceUpload[] = [];
  const effective = new Date(Math.floor(at.getTime() / 1000) * 1000);
  const context: ReadingContext = { ...PLACEHOLDER_CONTEXT, receivedAt: effective, utcOffsetMinutes: 0 };
  for (const device of kit) {
    if (random() < chances.missed) continue;
    const fault = random() < chances.fault;
    const observations = readingToObservations(deviceReading(device.kind, vitals, fault, random), context);
    if (device.kind === 'pulse-oximeter' && !fault) {
      observations.push(respiratoryRate(vitals.respiratoryRate, effective.toISOString()));
    }
    uploads.push({ device, observations, fault });
  }
  return uploads;
}

/**
 * A pulse oximeter's SpO2 and pulse-rate Observations about `patient` (a `Patient/<id>`), exactly as the simulated
 * devices map them (LOINC and MDC codes, reading source `device`), without a Device reference: for callers that post
 * single readings rather than gateway bundles (the alerting benchmark).
 */
export function oximeterObservations(
  spo2: number,
  pulseRate: number,
  at: Date,
  patient: string
): { spo2: Observation; pulseRate: Observation } {
  const context: ReadingContext = { ...PLACEHOLDER_CONTEXT, patient, receivedAt: at, utcOffsetMinutes: 0 };
  const observations = readingToObservations(
    { kind: 'pulse-oximetry', spo2: measured(spo2), pulseRate: measured(pulseRate) },
    context
  ).map(({ device: _device, ...observation }) => observation as Observation);
  const byLoinc = (code: string): Observation => {
    const found = observations.find((o) => o.code.coding?.some((c) => c.system === LOINC && c.code === code));
    if (!found) {
      throw new Error(`the oximeter mapping gave no LOINC ${code} reading`);
    }
    return found;
  };
  return { spo2: byLoinc(MEASURES.spo2.loinc), pulseRate: byLoinc(MEASURES.pulseRateOximeter.loinc) };
}
