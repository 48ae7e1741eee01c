// Builds the DetectedIssue.mitigation entry that records an action on an alert.
import type { DetectedIssue, DetectedIssueMitigation, Extension, Reference } from '@medplum/fhirtypes';
import {
  ALERT_ACTION_DISPLAY,
  ALERT_ACTION_SYSTEM,
  EXTENSIONS,
  alertSeverity,
  type AlertAction,
} from './alertCodes.ts';

export interface MitigationInput {
  alert: DetectedIssue;
  action: AlertAction;
  now: Date;
  /** The practitioner who acted; absent when the escalation schedule acted. */
  author?: Reference;
  /** Plain words after the action's display, e.g. the clinician's note. */
  text?: string;
  /** "Task/<id>" of each Task recording the action. */
  tasks: readonly string[];
  /** The escalation policy level carried out (schedule only). */
  levelKey?: string;
}

/**
 * action: the rpm-alert-action coding, text "<Display>[: <text>]"; date; author; extensions: the alert's severity
 * now (rpm-alert-action-severity), the Tasks (rpm-alert-action-task) and the level (rpm-alert-escalation-level).
 */
export function buildMitigation(input: MitigationInput): DetectedIssueMitigation {
  const { alert, action, now, author, text, tasks, levelKey } = input;
  const display = ALERT_ACTION_DISPLAY[action];
  const extension: Extension[] = [
    { url: EXTENSIONS.actionSeverity, valueCode: alertSeverity(alert) },
    ...tasks.map((reference) => ({ url: EXTENSIONS.actionTask, valueReference: { reference } })),
    ...(levelKey ? [{ url: EXTENSIONS.escalationLevel, valueString: levelKey }] : []),
  ];
  return {
    extension,
    action: {
      coding: [{ system: ALERT_ACTION_SYSTEM, code: action, display }],
      text: text ? `${display}: ${text}` : display,
    },
    date: now.toISOString(),
    ...(author ? { author: author as DetectedIssueMitigation['author'] } : {}),
  };
}

/** The alert with one more mitigation entry. */
export function withMitigation<T extends DetectedIssue>(alert: T, mitigation: DetectedIssueMitigation): T {
  return { ...alert, mitigation: [...(alert.mitigation ?? []), mitigation] };
}
