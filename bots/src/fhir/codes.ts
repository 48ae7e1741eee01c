// Code systems, codes and canonical URLs the alert rules read and write (LOINC, SNOMED CT, UCUM and the project's own).

export const LOINC = 'http://loinc.org';
export const SNOMED = 'http://snomed.info/sct';
export const UCUM = 'http://unitsofmeasure.org';
export const OBSERVATION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';

/** Canonical base of the project's conformance resources. */
export const RPM_BASE = 'http://rpm-platform.org/fhir';

/** LOINC codes of the vital signs the rules use (shared/domain/RPM-REFERENCE.md). */
export const LOINC_CODES = {
  bloodPressurePanel: '85354-9',
  systolic: '8480-6',
  diastolic: '8462-4',
  heartRate: '8867-4',
  spo2: '2708-6',
  spo2PulseOximetry: '59408-5',
  bodyTemperature: '8310-5',
  bodyWeight: '29463-7',
  respiratoryRate: '9279-1',
  /** Inhaled oxygen flow rate (L/min): the project's record of air (0) or supplemental oxygen (> 0). */
  inhaledOxygenFlowRate: '3151-8',
} as const;

/** SNOMED CT (UK edition) codes for NEWS2, as used by UK FHIR guides. */
export const NEWS2_SNOMED = {
  total: '1104051000000101',
  respirationRate: '1104301000000104',
  spo2Scale1: '1104311000000102',
  /** Not in RPM-REFERENCE.md; from UK FHIR guides (NEWS2 oxygen saturation scale 2 score). */
  spo2Scale2: '1104321000000108',
  airOrOxygen: '1104331000000105',
  systolicBp: '1104341000000101',
  pulse: '1104351000000103',
  consciousness: '1104361000000100',
  temperature: '1104371000000107',
  /** ACVPU (Alert Confusion Voice Pain Unresponsive) scale score: the consciousness observation. */
  acvpuObservation: '1104441000000107',
} as const;

/** SNOMED CT answers of the ACVPU observation (HL7 UK CareConnect-ACVPU-1 value set). */
export const ACVPU_SNOMED = {
  A: { code: '248234008', display: 'Mentally alert' },
  C: { code: '130987000', display: 'Acute confusion' },
  V: { code: '300202002', display: 'Responds to voice' },
  P: { code: '450847001', display: 'Responds to pain' },
  U: { code: '422768004', display: 'Unresponsive' },
} as const;

export const CODE_SYSTEMS = {
  alertRule: `${RPM_BASE}/CodeSystem/rpm-alert-rule`,
  thresholdBand: `${RPM_BASE}/CodeSystem/rpm-threshold-band`,
  news2Risk: `${RPM_BASE}/CodeSystem/rpm-news2-risk`,
} as const;

export const PROFILES = {
  alert: `${RPM_BASE}/StructureDefinition/rpm-alert`,
  thresholdProgramme: `${RPM_BASE}/StructureDefinition/rpm-threshold-programme`,
  thresholdGoal: `${RPM_BASE}/StructureDefinition/rpm-threshold-goal`,
  monitoringCarePlan: `${RPM_BASE}/StructureDefinition/rpm-monitoring-careplan`,
} as const;

export const EXTENSIONS = {
  alertClinicalSource: `${RPM_BASE}/StructureDefinition/rpm-alert-clinical-source`,
  alertProgramme: `${RPM_BASE}/StructureDefinition/rpm-alert-programme`,
  news2Spo2Scale: `${RPM_BASE}/StructureDefinition/rpm-news2-spo2-scale`,
  readingGracePeriod: `${RPM_BASE}/StructureDefinition/rpm-reading-grace-period`,
  scheduleTimeZone: `${RPM_BASE}/StructureDefinition/rpm-schedule-time-zone`,
} as const;

export const IDENTIFIER_SYSTEMS = {
  alert: `${RPM_BASE}/identifier/alert`,
  news2: `${RPM_BASE}/identifier/news2`,
} as const;
