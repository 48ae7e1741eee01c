// The Bluetooth health devices the app pairs with: GATT service, measurement characteristic, decoder, plain words.
import type { Observation } from '@medplum/fhirtypes';
import { decodeBloodPressureMeasurement } from '../bluetooth/bloodPressureMeasurement.ts';
import type { DeviceInformation } from '../bluetooth/deviceInformation.ts';
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
  /** ISO/IEEE 11073 device specialisation (MDC), as the gateway contract types Devices; none known for a strap. */
  mdcSpecialisation?: string;
}

export const DEVICE_TYPES: readonly DeviceType[] = [
  {
    key: 'blood-pressure',
    label: 'Blood pressure monitor',
    service: 0x1810,
    characteristic: 0x2a35,
    decode: decodeBloodPressureMeasurement,
    vital: 'blood-pressure',
    mdcSpecialisation: '528391',
  },
  {
    key: 'pulse-oximeter',
    label: 'Pulse oximeter (finger clip)',
    service: 0x1822,
    characteristic: 0x2a5e,
    decode: decodePlxSpotCheckMeasurement,
    vital: 'spo2',
    mdcSpecialisation: '528388',
  },
  {
    key: 'thermometer',
    label: 'Thermometer',
    service: 0x1809,
    characteristic: 0x2a1c,
    decode: decodeTemperatureMeasurement,
    vital: 'temperature',
    mdcSpecialisation: '528392',
  },
  {
    key: 'weight-scale',
    label: 'Weighing scale',
    service: 0x181d,
    characteristic: 0x2a9d,
    decode: decodeWeightMeasurement,
    vital: 'weight',
    mdcSpecialisation: '528399',
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
    mdcSpecialisation: '528401',
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

/** The device as the patient app read it: its Web Bluetooth id, its name and what its Device Information said. */
export interface PairedDevice {
  /** `BluetoothDevice.id`. */
  id: string;
  /** `BluetoothDevice.name`, else the device type's words. */
  name: string;
  /** Device Information Service (0x180A) values the device gave; absent when it has no such service. */
  information?: DeviceInformation;
}

/**
 * The reading's Observations (device readings, method `device`) with the device recorded: `Observation.device` is the
 * `urn:uuid` of the Device entry the outbox sends in the same transaction (outbox/readingTransaction.ts), which the
 * server turns into `Device/<id>`; the display keeps the device's name.
 */
export function deviceObservations(input: {
  reading: DecodedReading;
  type: DeviceType;
  device: PairedDevice;
  /** The Device's `urn:uuid` in the outbox item. */
  deviceUrl: string;
  patientReference: string;
  receivedAt: Date;
}): Observation[] {
  const observations = readingToObservations(input.reading, {
    patient: input.patientReference,
    device: input.deviceUrl,
    source: 'device',
    receivedAt: input.receivedAt,
    utcOffsetMinutes: -input.receivedAt.getTimezoneOffset(),
  });
  return observations.map((observation) => ({
    ...observation,
    device: { reference: input.deviceUrl, display: `${input.device.name} (${input.type.label}, Bluetooth)` },
  }));
}
