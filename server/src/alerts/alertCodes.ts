// Canonical URLs and codes of alert handling: action and role CodeSystems, extensions, identifier systems.
import type { DetectedIssue } from '@medplum/fhirtypes';

const BASE = 'http://rpm-platform.org/fhir';

/** What was done about an alert: DetectedIssue.mitigation.action and Task.code (fhir/valueSets/rpm-alert-action.json). */
export const ALERT_ACTION_SYSTEM = `${BASE}/CodeSystem/rpm-alert-action`;
export type AlertAction = 'acknowledged' | 'escalated' | 'resolved';
export const ALERT_ACTION_DISPLAY: Readonly<Record<AlertAction, string>> = {
  acknowledged: 'Acknowledged',
  escalated: 'Escalated',
  resolved: 'Resolved',
};

/** The roles unacknowledged alerts escalate to (PractitionerRole.code; fhir/valueSets/rpm-escalation-role.json). */
export const ESCALATION_ROLE_SYSTEM = `${BASE}/CodeSystem/rpm-escalation-role`;
export type EscalationRole = 'on-call-clinician' | 'senior-clinician';
export const ESCALATION_ROLE_DISPLAY: Readonly<Record<EscalationRole, string>> = {
  'on-call-clinician': 'On-call clinician',
  'senior-clinician': 'Senior clinician',
};

export const EXTENSIONS = {
  /** On DetectedIssue: the programme (PlanDefinition canonical) the alert was raised under (set by the bots). */
  alertProgramme: `${BASE}/StructureDefinition/rpm-alert-programme`,
  /** On DetectedIssue.mitigation: the alert's severity when the action was taken. */
  actionSeverity: `${BASE}/StructureDefinition/rpm-alert-action-severity`,
  /** On DetectedIssue.mitigation: the Task recording the action. */
  actionTask: `${BASE}/StructureDefinition/rpm-alert-action-task`,
  /** On DetectedIssue.mitigation: the key of the escalation policy level carried out. */
  escalationLevel: `${BASE}/StructureDefinition/rpm-alert-escalation-level`,
  /** On PlanDefinition: the programme's escalation policy. */
  escalationPolicy: `${BASE}/StructureDefinition/rpm-escalation-policy`,
} as const;

/** Identifier system of the Tasks recording alert actions (deterministic values: see alertTask.ts). */
export const ALERT_TASK_IDENTIFIER_SYSTEM = `${BASE}/identifier/alert-task`;

export type AlertSeverity = NonNullable<DetectedIssue['severity']>;

const SEVERITY_RANK: Readonly<Record<AlertSeverity, number>> = { low: 0, moderate: 1, high: 2 };

/** low 0, moderate 1, high 2. An absent or unknown severity ranks as high: when in doubt, alert. */
export function severityRank(severity: string | undefined): number {
  return SEVERITY_RANK[severity as AlertSeverity] ?? SEVERITY_RANK.high;
}

/** The alert's severity; absent or unknown counts as high (when in doubt, alert). */
export function alertSeverity(alert: DetectedIssue): AlertSeverity {
  return alert.severity && alert.severity in SEVERITY_RANK ? alert.severity : 'high';
}

export const SEVERITIES: readonly AlertSeverity[] = ['high', 'moderate', 'low'];

/** Words for people: red, amber, low-priority. */
export const SEVERITY_WORDS: Readonly<Record<AlertSeverity, string>> = {
  high: 'red',
  moderate: 'amber',
  low: 'low-priority',
};
