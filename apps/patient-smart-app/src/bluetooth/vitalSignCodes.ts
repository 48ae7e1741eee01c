// Codes of the readings a Bluetooth device gives: LOINC, MDC (ISO/IEEE 11073-10101) and UCUM, from RPM-REFERENCE.md.

export const LOINC = 'http://loinc.org';
export const MDC = 'urn:iso:std:iso:11073:10101';
export const UCUM = 'http://unitsofmeasure.org';
export const OBSERVATION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';
export const DATA_ABSENT_REASON = 'http://terminology.hl7.org/CodeSystem/data-absent-reason';
export const PHD_OBSERVATION_IDENTIFIER_SYSTEM = 'http://hl7.org/fhir/uv/phd/StructureDefinition/PhdBaseObservation';

/** Where a reading came from: read from a device, or typed in by the patient (not a device day for billing). */
export const READING_SOURCE_SYSTEM = 'http://rpm-platform.org/fhir/CodeSystem/rpm-reading-source';

/** One measured quantity: its LOINC and MDC codes. */
export interface MeasureCode {
  loinc: string;
  loincDisplay: string;
  mdc?: string;
}

export const MEASURES = {
  bloodPressurePanel: { loinc: '85354-9', loincDisplay: 'Blood pressure panel', mdc: '150020' },
  systolic: { loinc: '8480-6', loincDisplay: 'Systolic blood pressure', mdc: '150021' },
  diastolic: { loinc: '8462-4', loincDisplay: 'Diastolic blood pressure', mdc: '150022' },
  meanArterialPressure: { loinc: '8478-0', loincDisplay: 'Mean blood pressure', mdc: '150023' },
  pulseRateCuff: { loinc: '8867-4', loincDisplay: 'Heart rate', mdc: '149546' },
  pulseRateOximeter: { loinc: '8867-4', loincDisplay: 'Heart rate', mdc: '149530' },
  /** A heart rate strap (0x180D): MDC_ECG_HEART_RATE, which RPM-REFERENCE.md does not list. */
  heartRateStrap: { loinc: '8867-4', loincDisplay: 'Heart rate', mdc: '147842' },
  spo2: { loinc: '2708-6', loincDisplay: 'Oxygen saturation in Arterial blood', mdc: '150456' },
  bodyTemperature: { loinc: '8310-5', loincDisplay: 'Body temperature', mdc: '150364' },
  bodyWeight: { loinc: '29463-7', loincDisplay: 'Body weight', mdc: '188736' },
  respiratoryRate: { loinc: '9279-1', loincDisplay: 'Respiratory rate', mdc: '151562' },
  glucoseCapillary: { loinc: '2339-0', loincDisplay: 'Glucose [Mass/volume] in Blood', mdc: '160184' },
  glucosePlasma: { loinc: '2339-0', loincDisplay: 'Glucose [Mass/volume] in Blood', mdc: '160368' },
  /** Glucose in mmol/L (not in RPM-REFERENCE.md, which lists only the mass code): LOINC's molar glucose in blood. */
  glucoseMolar: { loinc: '15074-8', loincDisplay: 'Glucose [Moles/volume] in Blood' },
} as const satisfies Record<string, MeasureCode>;

/** US Core's pulse oximetry code, sent beside 2708-6 on SpO2 readings. */
export const SPO2_PULSE_OXIMETRY_LOINC = '59408-5';
