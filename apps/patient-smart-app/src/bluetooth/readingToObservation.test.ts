// Decoded readings to FHIR Observations: codes, units, device vs patient-entered, special values, times, identifiers.
import { describe, expect, test } from 'vitest';
import { decodeBloodPressureMeasurement } from './bloodPressureMeasurement.ts';
import { decodeGlucoseMeasurement } from './glucoseMeasurement.ts';
import { decodeHeartRateMeasurement } from './heartRateMeasurement.ts';
import { decodePlxSpotCheckMeasurement } from './plxSpotCheckMeasurement.ts';
import { gattDateTimeToIso, readingToObservations, type ReadingContext } from './readingToObservation.ts';
import { decodeTemperatureMeasurement } from './temperatureMeasurement.ts';
import { hex } from './testBytes.ts';
import { decodeWeightMeasurement } from './weightMeasurement.ts';

const DEVICE: ReadingContext = {
  patient: 'Patient/p1',
  device: 'Device/d1',
  source: 'device',
  receivedAt: new Date('2025-04-17T19:45:00Z'),
  utcOffsetMinutes: 60,
};

const codes = (concept: { coding?: { system?: string; code?: string }[] } | undefined) =>
  concept?.coding?.map((c) => `${c.system}|${c.code}`);

describe('readingToObservations', () => {
  test('the blood pressure vector: a vital-signs panel with three components and the cuff pulse', () => {
    const [panel, pulse, ...rest] = readingToObservations(
      decodeBloodPressureMeasurement(hex('1E 8A 00 58 00 78 00 00 00 04 11 14 29 3B 3C 00 01 27 00')),
      DEVICE
    );
    expect(rest).toEqual([]);
    expect(panel.status).toBe('final');
    expect(codes(panel.category?.[0])).toEqual([
      'http://terminology.hl7.org/CodeSystem/observation-category|vital-signs',
    ]);
    expect(codes(panel.code)).toEqual(['http://loinc.org|85354-9', 'urn:iso:std:iso:11073:10101|150020']);
    expect(panel.subject).toEqual({ reference: 'Patient/p1' });
    expect(panel.device).toEqual({ reference: 'Device/d1' });
    expect(codes(panel.method)).toEqual(['http://rpm-platform.org/fhir/CodeSystem/rpm-reading-source|device']);
    expect(
      panel.component?.map((c) => [c.code.coding?.[0].code, c.valueQuantity?.value, c.valueQuantity?.code])
    ).toEqual([
      ['8480-6', 138, 'mm[Hg]'],
      ['8462-4', 88, 'mm[Hg]'],
      ['8478-0', 120, 'mm[Hg]'],
    ]);
    // The cuff's clock has no year: the time the app received the reading is used.
    expect(panel.effectiveDateTime).toBe('2025-04-17T19:45:00.000Z');
    expect(codes(pulse.code)).toEqual(['http://loinc.org|8867-4', 'urn:iso:std:iso:11073:10101|149546']);
    expect(pulse.valueQuantity).toEqual({ value: 60, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' });
  });

  test('the oximeter vector: SpO2 with both LOINC codes and the oximeter pulse, timed by the device clock', () => {
    const [spo2, pulse] = readingToObservations(
      decodePlxSpotCheckMeasurement(hex('0F AC F3 BE F5 E8 07 0B 1D 17 08 39 20 40 22 00 00 66 E3')),
      { ...DEVICE, utcOffsetMinutes: 0 }
    );
    expect(codes(spo2.code)).toEqual([
      'http://loinc.org|2708-6',
      'http://loinc.org|59408-5',
      'urn:iso:std:iso:11073:10101|150456',
    ]);
    expect(spo2.valueQuantity).toMatchObject({ value: 94, code: '%' });
    expect(spo2.effectiveDateTime).toBe('2024-11-29T23:08:57+00:00');
    expect(codes(pulse.code)).toContain('urn:iso:std:iso:11073:10101|149530');
    expect(pulse.valueQuantity).toMatchObject({ value: 147, code: '/min' });
  });

  test('the thermometer vector: 37.6 Cel, body site, local clock with its offset', () => {
    const [temperature] = readingToObservations(
      decodeTemperatureMeasurement(hex('06 B0 0E 00 FE DC 07 0C 05 0B 32 1B 04')),
      DEVICE
    );
    expect(codes(temperature.code)).toEqual(['http://loinc.org|8310-5', 'urn:iso:std:iso:11073:10101|150364']);
    expect(temperature.valueQuantity).toEqual({
      value: 37.6,
      unit: '°C',
      system: 'http://unitsofmeasure.org',
      code: 'Cel',
    });
    expect(temperature.bodySite).toEqual({ text: 'Finger' });
    expect(temperature.effectiveDateTime).toBe('2012-12-05T11:50:27+01:00');
  });

  test('the heart rate vector: 85 /min', () => {
    const [heartRate] = readingToObservations(decodeHeartRateMeasurement(hex('1E 55 32 00 21 00')), DEVICE);
    expect(codes(heartRate.code)?.[0]).toBe('http://loinc.org|8867-4');
    expect(heartRate.valueQuantity).toMatchObject({ value: 85, code: '/min' });
  });

  test('weight in kg and lb; "measurement unsuccessful" is a data-absent reason', () => {
    const [kg] = readingToObservations(decodeWeightMeasurement(hex('00 A4 38')), DEVICE);
    expect(codes(kg.code)).toEqual(['http://loinc.org|29463-7', 'urn:iso:std:iso:11073:10101|188736']);
    expect(kg.valueQuantity).toMatchObject({ value: 72.5, code: 'kg' });
    const [lb] = readingToObservations(decodeWeightMeasurement(hex('01 99 3E')), DEVICE);
    expect(lb.valueQuantity).toMatchObject({ value: 160.25, code: '[lb_av]', unit: 'lb' });
    const [failed] = readingToObservations(decodeWeightMeasurement(hex('00 FF FF')), DEVICE);
    expect(failed.valueQuantity).toBeUndefined();
    expect(codes(failed.dataAbsentReason)).toEqual(['http://terminology.hl7.org/CodeSystem/data-absent-reason|error']);
  });

  test('glucose: 99 mg/dL (laboratory, not a core vital sign), time offset applied', () => {
    const [glucose] = readingToObservations(
      decodeGlucoseMeasurement(hex('03 07 00 E8 07 05 01 08 0F 00 FB FF 63 B0 11')),
      { ...DEVICE, utcOffsetMinutes: 0 }
    );
    expect(codes(glucose.code)).toEqual(['http://loinc.org|2339-0', 'urn:iso:std:iso:11073:10101|160184']);
    expect(codes(glucose.category?.[0])).toEqual([
      'http://terminology.hl7.org/CodeSystem/observation-category|laboratory',
    ]);
    expect(glucose.valueQuantity).toMatchObject({ value: 99, code: 'mg/dL' });
    expect(glucose.effectiveDateTime).toBe('2024-05-01T08:10:00+00:00');
    expect(readingToObservations(decodeGlucoseMeasurement(hex('00 01 00 E8 07 05 01 08 0F 00')), DEVICE)).toEqual([]);
  });

  test('special values become dataAbsentReason, never a number, in values and in components', () => {
    const [temperature] = readingToObservations(decodeTemperatureMeasurement(hex('00 FE FF 7F 00')), DEVICE);
    expect(temperature.valueQuantity).toBeUndefined();
    expect(temperature.dataAbsentReason?.coding?.[0].code).toBe('positive-infinity');
    const [spo2] = readingToObservations(decodePlxSpotCheckMeasurement(hex('00 FF 07 00 08')), DEVICE);
    expect(spo2.dataAbsentReason?.coding?.[0].code).toBe('not-a-number');
    const [panel] = readingToObservations(decodeBloodPressureMeasurement(hex('00 78 00 02 08 01 08')), DEVICE);
    expect(panel.component?.map((c) => c.valueQuantity?.value ?? c.dataAbsentReason?.coding?.[0].code)).toEqual([
      120,
      'negative-infinity',
      'error',
    ]);
  });

  test('patient-entered: no device, the patient as performer, marked as patient-entered', () => {
    const [heartRate] = readingToObservations(decodeHeartRateMeasurement(hex('00 48')), {
      ...DEVICE,
      device: undefined,
      source: 'patient-entered',
    });
    expect(heartRate.device).toBeUndefined();
    expect(heartRate.performer).toEqual([{ reference: 'Patient/p1' }]);
    expect(codes(heartRate.method)).toEqual([
      'http://rpm-platform.org/fhir/CodeSystem/rpm-reading-source|patient-entered',
    ]);
  });

  test('a device reading without its device is refused', () => {
    expect(() =>
      readingToObservations(decodeHeartRateMeasurement(hex('00 48')), { ...DEVICE, device: undefined })
    ).toThrow(/needs the Device/);
  });

  test('PHD identifier: device id, patient id, UTC yyyyMMddHHmmss and MDC code', () => {
    const [temperature] = readingToObservations(
      decodeTemperatureMeasurement(hex('06 B0 0E 00 FE DC 07 0C 05 0B 32 1B 04')),
      { ...DEVICE, phdIdentity: { deviceId: '0123456789ABCDEF', patientId: '9434765919' } }
    );
    expect(temperature.identifier).toEqual([
      {
        system: 'http://hl7.org/fhir/uv/phd/StructureDefinition/PhdBaseObservation',
        value: '0123456789ABCDEF-9434765919-20121205105027-150364',
      },
    ]);
  });

  test('gattDateTimeToIso: unknown year, month or day gives no time; negative offsets', () => {
    expect(gattDateTimeToIso({ month: 1, day: 2, hours: 3, minutes: 4, seconds: 5 }, 0)).toBeUndefined();
    expect(gattDateTimeToIso({ year: 2025, day: 2, hours: 3, minutes: 4, seconds: 5 }, 0)).toBeUndefined();
    expect(gattDateTimeToIso({ year: 2025, month: 1, day: 2, hours: 3, minutes: 4, seconds: 5 }, -330)).toBe(
      '2025-01-02T03:04:05-05:30'
    );
  });
});
