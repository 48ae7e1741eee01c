// Which escalation levels of an open, unacknowledged alert are due at a given time and not yet carried out (pure).
import type { DetectedIssue } from '@medplum/fhirtypes';
import { escalatedLevels, isAcknowledged, isOpen, lastAcknowledged } from './alertState.ts';
import type { EscalationLevel } from './escalationPolicy.ts';

/**
 * When the alert's escalation clock started: identifiedDateTime (when the rule raised it), or — if it was
 * acknowledged at a lower severity and its severity has risen since — the last acknowledgement, whichever is later.
 * (The bots' merge does not record when the severity rose; it rose after that acknowledgement, so counting from it
 * escalates no later than counting from the rise would.) Without a valid identifiedDateTime (the profile requires
 * one) the alert's last update is used, else undefined.
 */
export function escalationClockStart(alert: DetectedIssue): Date | undefined {
  const identified = Date.parse(alert.identifiedDateTime ?? '');
  const fallback = Date.parse(alert.meta?.lastUpdated ?? '');
  const start = Number.isNaN(identified) ? fallback : identified;
  if (Number.isNaN(start)) {
    return undefined;
  }
  const acknowledged = lastAcknowledged(alert)?.getTime();
  return new Date(acknowledged !== undefined ? Math.max(start, acknowledged) : start);
}

/**
 * The levels (of the alert's current severity, as given) due at `now` — the clock start plus the level's delay is at
 * or before `now` — that the alert does not record as carried out. None for a closed alert or one acknowledged at its
 * current severity.
 */
export function dueEscalationLevels(
  alert: DetectedIssue,
  levels: readonly EscalationLevel[],
  now: Date
): EscalationLevel[] {
  if (!isOpen(alert) || isAcknowledged(alert)) {
    return [];
  }
  const start = escalationClockStart(alert);
  if (!start) {
    return [];
  }
  const done = escalatedLevels(alert);
  const elapsedMs = now.getTime() - start.getTime();
  return levels.filter((level) => !done.has(level.key) && level.afterMinutes * 60_000 <= elapsedMs);
}
