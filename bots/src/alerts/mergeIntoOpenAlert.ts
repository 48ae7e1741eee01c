// Merges a new breach into the open alert of the same rule and patient: one alert, never a second one, never a lower severity.
import { deepEquals } from '@medplum/core';
import type { DetectedIssue, DetectedIssueEvidence } from '@medplum/fhirtypes';
import { severityRank } from './buildAlert.ts';

/**
 * Exact behaviour, for `existing` (open: status preliminary) and `breach` (a new alert from buildAlert with the same
 * identifier):
 * - implicated: the existing references, then the breach's new ones (no duplicates);
 * - evidence: the breach's evidence is appended unless it adds nothing (all its readings already implicated, or, for
 *   evidence without readings, the same text already present);
 * - severity: the higher of the two; never lowered;
 * - detail: the breach's explanation when the breach adds something and is at least as severe, else kept;
 * - identifiedDateTime, status, extensions and everything else: kept from `existing`.
 * Processing the same Observation twice therefore changes nothing (`changed: false`), so the caller writes nothing.
 */
export function mergeIntoOpenAlert(
  existing: DetectedIssue,
  breach: DetectedIssue
): { alert: DetectedIssue; changed: boolean } {
  if (existing.status !== 'preliminary') {
    throw new Error(`Only an open (preliminary) alert can take a new breach, not one with status ${existing.status}`);
  }
  const key = (issue: DetectedIssue) => issue.identifier?.map((i) => `${i.system}|${i.value}`).join(',') ?? '';
  if (key(existing) !== key(breach)) {
    throw new Error(`A breach with identifier ${key(breach)} does not belong to alert ${key(existing)}`);
  }
  const implicated = [...(existing.implicated ?? [])];
  const known = new Set(implicated.map((r) => r.reference));
  const added = (breach.implicated ?? []).filter((r) => !known.has(r.reference));
  implicated.push(...added);

  const texts = new Set((existing.evidence ?? []).flatMap((e) => e.code ?? []).map((c) => c.text));
  const addsSomething = (evidence: DetectedIssueEvidence): boolean =>
    evidence.detail?.length
      ? evidence.detail.some((r) => !known.has(r.reference))
      : (evidence.code ?? []).some((c) => !texts.has(c.text));
  const newEvidence = (breach.evidence ?? []).filter(addsSomething);

  const higher = severityRank(breach.severity) > severityRank(existing.severity);
  const atLeastAsSevere = severityRank(breach.severity) >= severityRank(existing.severity);
  const news = added.length > 0 || newEvidence.length > 0;

  const alert: DetectedIssue = {
    ...existing,
    severity: higher ? breach.severity : existing.severity,
    ...(implicated.length ? { implicated } : {}),
    ...(existing.evidence || newEvidence.length ? { evidence: [...(existing.evidence ?? []), ...newEvidence] } : {}),
    detail: (news && atLeastAsSevere) || higher ? breach.detail : existing.detail,
  };
  return { alert, changed: !deepEquals(alert, existing) };
}
