// Reading an alert (DetectedIssue): its severity, whether it is acknowledged at that severity, and its history of actions.
import type { DetectedIssue, DetectedIssueMitigation } from '@medplum/fhirtypes';
import { ALERT_ACTION_SEVERITY_EXTENSION, ALERT_ACTION_SYSTEM } from '../fhir/codes.ts';
import { readSeverity, type AlertSeverity } from '../worklist/acuity.ts';

const RANK: Readonly<Record<AlertSeverity, number>> = { low: 0, moderate: 1, high: 2 };

export type AlertAction = 'acknowledged' | 'escalated' | 'resolved';

export function mitigationAction(mitigation: DetectedIssueMitigation): AlertAction | undefined {
  const code = mitigation.action?.coding?.find((c) => c.system === ALERT_ACTION_SYSTEM)?.code;
  return code === 'acknowledged' || code === 'escalated' || code === 'resolved' ? code : undefined;
}

/**
 * The acknowledgement that covers the alert's current severity, if any (the server's rule: an acknowledgement at a
 * lower severity no longer counts once the severity rose; one without a severity counts for low only).
 */
export function currentAcknowledgement(alert: DetectedIssue): DetectedIssueMitigation | undefined {
  const current = RANK[readSeverity(alert)];
  return (alert.mitigation ?? [])
    .filter((m) => mitigationAction(m) === 'acknowledged')
    .reverse()
    .find((m) => {
      const severity = m.extension?.find((e) => e.url === ALERT_ACTION_SEVERITY_EXTENSION)?.valueCode as
        AlertSeverity | undefined;
      return (severity ? RANK[severity] : 0) >= current;
    });
}

export function isOpen(alert: DetectedIssue): boolean {
  return alert.status === 'preliminary';
}
