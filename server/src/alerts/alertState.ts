// Reads an alert's lifecycle from its DetectedIssue: open or closed, acknowledged at which severity, levels escalated.
import type { DetectedIssue, DetectedIssueMitigation } from '@medplum/fhirtypes';
import { ALERT_ACTION_SYSTEM, EXTENSIONS, alertSeverity, severityRank, type AlertAction } from './alertCodes.ts';

/** Open = status preliminary (rpm-alert); anything else is closed. */
export function isOpen(alert: DetectedIssue): boolean {
  return alert.status === 'preliminary';
}

/** The rpm-alert-action code of a mitigation, if it has one. */
export function mitigationAction(mitigation: DetectedIssueMitigation): AlertAction | undefined {
  const code = mitigation.action?.coding?.find((c) => c.system === ALERT_ACTION_SYSTEM)?.code;
  return code === 'acknowledged' || code === 'escalated' || code === 'resolved' ? code : undefined;
}

function extensionValue(mitigation: DetectedIssueMitigation, url: string): string | undefined {
  const extension = mitigation.extension?.find((e) => e.url === url);
  return extension?.valueCode ?? extension?.valueString;
}

/**
 * The highest severity rank an acknowledgement covers (-1: none). An acknowledgement without the severity extension
 * (written by hand rather than by $acknowledge) covers only `low`: when in doubt, alert.
 */
export function acknowledgedRank(alert: DetectedIssue): number {
  let rank = -1;
  for (const mitigation of alert.mitigation ?? []) {
    if (mitigationAction(mitigation) === 'acknowledged') {
      rank = Math.max(rank, severityRank(extensionValue(mitigation, EXTENSIONS.actionSeverity) ?? 'low'));
    }
  }
  return rank;
}

/** True when someone acknowledged the alert at (or above) its current severity. */
export function isAcknowledged(alert: DetectedIssue): boolean {
  return acknowledgedRank(alert) >= severityRank(alertSeverity(alert));
}

/** When the alert was last acknowledged (at any severity), if ever. */
export function lastAcknowledged(alert: DetectedIssue): Date | undefined {
  let last: number | undefined;
  for (const mitigation of alert.mitigation ?? []) {
    const time = mitigation.date ? Date.parse(mitigation.date) : NaN;
    if (mitigationAction(mitigation) === 'acknowledged' && !Number.isNaN(time)) {
      last = last === undefined ? time : Math.max(last, time);
    }
  }
  return last === undefined ? undefined : new Date(last);
}

/** The keys of the escalation policy levels already carried out for this alert. */
export function escalatedLevels(alert: DetectedIssue): Set<string> {
  const keys = new Set<string>();
  for (const mitigation of alert.mitigation ?? []) {
    const key = extensionValue(mitigation, EXTENSIONS.escalationLevel);
    if (mitigationAction(mitigation) === 'escalated' && key) {
      keys.add(key);
    }
  }
  return keys;
}

/** The canonical url of the alert's programme (extension rpm-alert-programme), if any. */
export function alertProgramme(alert: DetectedIssue): string | undefined {
  return alert.extension?.find((e) => e.url === EXTENSIONS.alertProgramme)?.valueCanonical;
}

/** "Patient/<id>" of the alert, if it names one by a relative reference. */
export function alertPatient(alert: DetectedIssue): string | undefined {
  const reference = alert.patient?.reference;
  return reference && /^Patient\/[A-Za-z0-9\-.]{1,64}$/.test(reference) ? reference : undefined;
}
