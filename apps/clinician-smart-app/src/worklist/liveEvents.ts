// What a burst of live notifications means for the worklist: whose rows to reload (or all), and the cue to show.
import type { DetectedIssue, Observation } from '@medplum/fhirtypes';
import { patientIdOf } from '../fhir/readings.ts';
import { displayName } from '../patient/patientDetails.ts';
import type { LiveEvent } from '../../../shared/fhirLive/liveChannel.ts';
import type { WorklistRow } from './loadCaseload.ts';

/** What a burst of notifications changed: the patients to reload, and the cue to show (alerts before readings). */
export function describeEvents(
  events: readonly LiveEvent[],
  rows: readonly WorklistRow[]
): { patientIds: Set<string>; cue?: string; reloadAll: boolean } {
  const names = new Map(rows.map((row) => [row.patient.id, displayName(row.patient)]));
  const patientIds = new Set<string>();
  const newAlerts = new Set<string>();
  const changedAlerts = new Set<string>();
  const readings = new Set<string>();
  let reloadAll = false;
  for (const { resource, method } of events) {
    if (!resource) {
      reloadAll = true; // a delete: the notification does not say whose it was
      continue;
    }
    const id =
      resource.resourceType === 'DetectedIssue'
        ? patientIdOf((resource as DetectedIssue).patient)
        : patientIdOf((resource as Observation).subject);
    if (!id || !names.has(id)) {
      continue; // not on this worklist
    }
    patientIds.add(id);
    const name = names.get(id) as string;
    if (resource.resourceType === 'DetectedIssue') {
      (method === 'POST' && (resource as DetectedIssue).status === 'preliminary' ? newAlerts : changedAlerts).add(name);
    } else {
      readings.add(name);
    }
  }
  const list = (set: Set<string>) => [...set].join(', ');
  const cue = newAlerts.size
    ? `New alert for ${list(newAlerts)}`
    : changedAlerts.size
      ? `Alert updated for ${list(changedAlerts)}`
      : readings.size
        ? `New reading for ${list(readings)}`
        : undefined;
  return { patientIds, cue, reloadAll };
}

/**
 * After the whole caseload was loaded again: who joined it and who left it, in words ("Added to your caseload: Ada
 * Ward"), or undefined when the same patients are on it.
 */
export function caseloadChangeCue(before: readonly WorklistRow[], after: readonly WorklistRow[]): string | undefined {
  const was = new Set(before.map((row) => row.patient.id));
  const is = new Set(after.map((row) => row.patient.id));
  const added = after.filter((row) => !was.has(row.patient.id)).map((row) => displayName(row.patient));
  const removed = before.filter((row) => !is.has(row.patient.id)).map((row) => displayName(row.patient));
  const parts = [
    ...(added.length ? [`Added to your caseload: ${added.join(', ')}`] : []),
    ...(removed.length ? [`No longer on your caseload: ${removed.join(', ')}`] : []),
  ];
  return parts.length ? parts.join('. ') : undefined;
}
