// The escalation levels used when a programme has none for an alert's severity (defaults pending clinical sign-off).
import {
  ESCALATION_ROLE_DISPLAY,
  ESCALATION_ROLE_SYSTEM,
  type AlertSeverity,
  type EscalationRole,
} from './alertCodes.ts';
import { levelKey, type EscalationLevel, type EscalationTarget } from './escalationPolicy.ts';

function role(code: EscalationRole): EscalationTarget {
  return { role: { system: ESCALATION_ROLE_SYSTEM, code, display: ESCALATION_ROLE_DISPLAY[code] } };
}

function level(severity: AlertSeverity, afterMinutes: number, target: EscalationTarget): EscalationLevel {
  return { key: levelKey(severity, afterMinutes, target), severity, afterMinutes, target };
}

/**
 * Red (high): 15 min → on-call clinician, 30 min → senior clinician (the timings of the issue that asked for this).
 * Amber (moderate): 60 min → on-call, 120 min → senior. Low (e.g. a missed reading): 240 min → on-call.
 * The amber and low delays follow the minimum monitoring frequencies of RCP NEWS2 (2017) chart 4 — at least hourly
 * for a low–medium or medium score, 4–6-hourly for a low one — by analogy only: no national standard sets escalation
 * delays for virtual wards. Every value needs sign-off by the clinical governance of the service that uses it; a
 * programme states its own with the rpm-escalation-policy extension.
 */
export const DEFAULT_ESCALATION_LEVELS: readonly EscalationLevel[] = [
  level('high', 15, role('on-call-clinician')),
  level('high', 30, role('senior-clinician')),
  level('moderate', 60, role('on-call-clinician')),
  level('moderate', 120, role('senior-clinician')),
  level('low', 240, role('on-call-clinician')),
];

/**
 * The levels that apply to an alert of this severity: the programme's levels for it, or — when the programme has no
 * policy, or none for this severity — the defaults (when in doubt, alert).
 */
export function levelsForSeverity(
  programmeLevels: readonly EscalationLevel[] | undefined,
  severity: AlertSeverity
): { levels: EscalationLevel[]; source: 'programme' | 'default' } {
  const own = (programmeLevels ?? []).filter((l) => l.severity === severity);
  if (own.length > 0) {
    return { levels: own, source: 'programme' };
  }
  return { levels: DEFAULT_ESCALATION_LEVELS.filter((l) => l.severity === severity), source: 'default' };
}
