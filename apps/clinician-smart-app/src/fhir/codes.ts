// Code systems and codes the app reads: LOINC vital signs, the NEWS2 total (SNOMED CT) and its risk band, alert actions.

export const LOINC = 'http://loinc.org';
export const SNOMED = 'http://snomed.info/sct';

/** SNOMED CT (UK edition): Royal College of Physicians NEWS2 total score (shared/domain/RPM-REFERENCE.md). */
export const NEWS2_TOTAL_CODE = '1104051000000101';

/** The NEWS2 Observation's clinical risk band (interpretation), written by the NEWS2 bot. */
export const NEWS2_RISK_SYSTEM = 'http://rpm-platform.org/fhir/CodeSystem/rpm-news2-risk';

/** What was done about an alert: DetectedIssue.mitigation.action (server/src/alerts/README.md). */
export const ALERT_ACTION_SYSTEM = 'http://rpm-platform.org/fhir/CodeSystem/rpm-alert-action';
export const ALERT_ACTION_SEVERITY_EXTENSION =
  'http://rpm-platform.org/fhir/StructureDefinition/rpm-alert-action-severity';

/** A monitoring programme: CarePlan (profile rpm-monitoring-careplan) instantiating a PlanDefinition. */
export const MONITORING_CAREPLAN_PROFILE = 'http://rpm-platform.org/fhir/StructureDefinition/rpm-monitoring-careplan';

export const NHS_NUMBER_SYSTEM = 'https://fhir.nhs.uk/Id/nhs-number';
