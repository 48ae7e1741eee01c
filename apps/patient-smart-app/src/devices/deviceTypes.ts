// The Bluetooth health devices the app pairs with: GATT service, measurement characteristic, decoder, plain words.
import type { Observation } from '@medplum/fhirtypes';
import { decodeBloodPressureMeasurement } from '../bluetooth/bloodPressureMeasurement.ts';
import type { CharacteristicValue } from '../bluetooth/gattReader.ts';
import { decodeGlucoseMeasurement } from '../bluetooth/glucoseMeasurement.ts';
import { decodeHeartRateMeasurement } from '../bluetooth/heartRateMeasurement.ts';
import type { MedicalFloat } from '../bluetooth/ieee11073Float.ts';
import { decodePlxSpotCheckMeasurement } from '../bluetooth/plxSpotCheckMeasurement.ts';
import { readingToObservations, type DecodedReading } from '../bluetooth/readingToObservation.ts';
import { decodeTemperatureMeasurement } from '../bluetooth/temperatureMeasurement.ts';
import { decodeWeightMeasurement } from '../bluetooth/weightMeasurement.ts';
import type { VitalKey } from '../vitals/vitalSigns.ts';

export interface DeviceType {
  key: string;
  /** The button's words. */
  label: string;
  /** Bluetooth SIG GATT service (16-bit UUID) the device advertises. */
  service: number;
  /** Its measurement characteristic: indications (notifications for heart rate and glucose). */
  characteristic: number;
  decode: (value: CharacteristicValue) => DecodedReading;
  /** The app's vital sign the reading counts for (today's screen, outbox). */
  vital: VitalKey;
}

export const DEVICE_TYPES: readonly DeviceType[] = [
  {
    key: 'blood-pressure',
    label: 'Blood pressure monitor',
    service: 0x1810,
    characteristic: 0x2a35,
    decode: decodeBloodPressureMeasurement,
    vital: 'blood-pressure',
  },
  {
    key: 'pulse-oximeter',
    label: 'Pulse oximeter (finger clip)',
    service: 0x1822,
    characteristic: 0x2a5e,
    decode: decodePlxSpotCheckMeasurement,
    vital: 'spo2',
  },
  {
    key: 'thermometer',
    label: 'Thermometer',
    service: 0x1809,
    characteristic: 0x2a1c,
    decode: decodeTemperatureMeasurement,
    vital: 'temperature',
  },
  {
    key: 'weight-scale',
    label: 'Weighing scale',
    service: 0x181d,
    characteristic: 0x2a9d,
    decode: decodeWeightMeasurement,
    vital: 'weight',
  },
  {
    key: 'heart-rate',
    label: 'Heart rate strap',
    service: 0x180d,
    characteristic: 0x2a37,
    decode: decodeHeartRateMeasurement,
    vital: 'heart-rate',
  },
  {
    key: 'glucose',
    label: 'Blood sugar meter',
    service: 0x1808,
    characteristic: 0x2a18,
    decode: decodeGlucoseMeasurement,
    vital: 'blood-glucose',
  },
];

/** The identifier system of a device as Web Bluetooth names it (an id per phone and app, not the device's serial). */
export const WEB_BLUETOOTH_DEVICE_SYSTEM = 'http://rpm-platform.org/fhir/identifier/web-bluetooth-device';

const UNIT_WORDS: Record<string, string> = {
  mmHg: 'mmHg',
  kPa: 'kPa',
  Cel: '°C',
  '[degF]': '°F',
  kg: 'kg',
  '[lb_av]': 'lb',
  'mg/dL': 'mg/dL',
  'mmol/L': 'mmol/L',
};

function num(value: MedicalFloat | number | undefined): string | undefined {
  if (value === undefined) {
    return undefined;
  }
  if (typeof value === 'number') {
    return String(value);
  }
  return value.kind === 'number' ? String(Number(value.value.toFixed(2))) : undefined;
}

/** The reading in plain words for the patient to check, or undefined when the device could not measure. */
export function describeReading(reading: DecodedReading): string | undefined {
  switch (reading.kind) {
    case 'blood-pressure': {
      const [sys, dia, pulse] = [num(reading.systolic), num(reading.diastolic), num(reading.pulseRate)];
      if (!sys || !dia) {
        return undefined;
      }
      return `Blood pressure ${sys}/${dia} ${UNIT_WORDS[reading.unit]}${pulse ? `, pulse ${pulse} beats a minute` : ''}`;
    }
    case 'pulse-oximetry': {
      const [spo2, pulse] = [num(reading.spo2), num(reading.pulseRate)];
      return spo2 ? `Oxygen level ${spo2}%${pulse ? `, pulse ${pulse} beats a minute` : ''}` : undefined;
    }
    case 'temperature': {
      const value = num(reading.temperature);
      return value ? `Temperature ${value} ${UNIT_WORDS[reading.unit]}` : undefined;
    }
    case 'weight':
      return reading.weight === undefined ? undefined : `Weight ${reading.weight} ${UNIT_WORDS[reading.unit]}`;
    case 'heart-rate':
      return `Heart rate ${reading.heartRate} beats a minute`;
    case 'glucose': {
      const value = num(reading.concentration);
      return value && reading.unit ? `Blood sugar ${value} ${UNIT_WORDS[reading.unit]}` : undefined;
    }
  }
}

/** The device as the patient app records it on an Observation: its Web Bluetooth id and its name. */
export interface PairedDevice {
  /** `BluetoothDevice.id`. */
  id: string;
  /** `BluetoothDevice.name`, else the device type's words. */
  name: string;
}

/**
 * The reading's Observations (device readings, method `device`) with the device recorded. Patients may not create
 * Device resources (a directory type: admins only, server/src/access/README.md), so `Observation.device` is a logical
 * reference: the Web Bluetooth identifier and the device's name, no `Device/<id>`.
 */
export function deviceObservations(input: {
  reading: DecodedReading;
  type: DeviceType;
  device: PairedDevice;
  patientReference: string;
  receivedAt: Date;
}): Observation[] {
  const observations = readingToObservations(input.reading, {
    patient: input.patientReference,
    // readingToObservations needs a device for device readings; replaced by the logical reference below.
    device: 'urn:uuid:00000000-0000-0000-0000-000000000000',
    source: 'device',
    receivedAt: input.receivedAt,
    utcOffsetMinutes: -input.receivedAt.getTimezoneOffset(),
  });
  return observations.map((observation) => ({
    ...observation,
    device: {
      identifier: { system: WEB_BLUETOOTH_DEVICE_SYSTEM, value: input.device.id },
      display: `${input.device.name} (${input.type.label}, Bluetooth)`,
    },
  }));
}
