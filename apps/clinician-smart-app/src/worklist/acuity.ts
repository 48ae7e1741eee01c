// Acuity of a caseload patient: highest open alert severity, then the latest NEWS2; words as well as colours.
import type { DetectedIssue } from '@medplum/fhirtypes';

export type AlertSeverity = NonNullable<DetectedIssue['severity']>;

/** The NEWS2 clinical risk bands of RCP NEWS2 (2017), as the NEWS2 bot codes them. */
export type News2Band = 'low' | 'low-medium' | 'medium' | 'high';

export interface News2Score {
  score: number;
  band: News2Band;
  /** When the vital signs it was computed from were taken. */
  time?: string;
}

export interface Acuity {
  /** The highest severity among the patient's open alerts; undefined when none is open. */
  alertSeverity?: AlertSeverity;
  openAlerts: number;
  news2?: News2Score;
}

const SEVERITY_RANK: Readonly<Record<AlertSeverity, number>> = { low: 1, moderate: 2, high: 3 };

/** Words for the severity (colour is never the only carrier): red, amber, low. */
export const SEVERITY_LABEL: Readonly<Record<AlertSeverity, string>> = {
  high: 'Red',
  moderate: 'Amber',
  low: 'Low',
};

/** Mantine colours of the severity badges (always shown with the word). */
export const SEVERITY_COLOR: Readonly<Record<AlertSeverity, string>> = {
  high: 'red.9',
  moderate: 'yellow.5',
  low: 'gray.7',
};

export const NEWS2_BAND_LABEL: Readonly<Record<News2Band, string>> = {
  high: 'High risk',
  medium: 'Medium risk',
  'low-medium': 'Low–medium risk',
  low: 'Low risk',
};

const NEWS2_BAND_RANK: Readonly<Record<News2Band, number>> = { low: 0, 'low-medium': 1, medium: 2, high: 3 };

/** An unknown severity counts as high: when in doubt, alert (as the server does). */
export function readSeverity(alert: DetectedIssue): AlertSeverity {
  return alert.severity && alert.severity in SEVERITY_RANK ? alert.severity : 'high';
}

/** The highest severity of the alerts given, or undefined for none. */
export function highestSeverity(alerts: readonly DetectedIssue[]): AlertSeverity | undefined {
  let highest: AlertSeverity | undefined;
  for (const alert of alerts) {
    const severity = readSeverity(alert);
    if (!highest || SEVERITY_RANK[severity] > SEVERITY_RANK[highest]) {
      highest = severity;
    }
  }
  return highest;
}

/** The RCP band of a total alone (without the single-parameter-3 rule, which needs the components). */
export function bandOfScore(score: number): News2Band {
  if (score >= 7) {
    return 'high';
  }
  return score >= 5 ? 'medium' : 'low';
}

/**
 * Most acute first: open alert severity (red, amber, low, none), then NEWS2 band and score, then the number of open
 * alerts. Negative when `a` comes first.
 */
export function compareAcuity(a: Acuity, b: Acuity): number {
  const severity = (x: Acuity): number => (x.alertSeverity ? SEVERITY_RANK[x.alertSeverity] : 0);
  const band = (x: Acuity): number => (x.news2 ? NEWS2_BAND_RANK[x.news2.band] : -1);
  const score = (x: Acuity): number => x.news2?.score ?? -1;
  return severity(b) - severity(a) || band(b) - band(a) || score(b) - score(a) || b.openAlerts - a.openAlerts;
}
