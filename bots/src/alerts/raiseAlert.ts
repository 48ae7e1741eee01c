// Writes an alert idempotently through the FHIR API: creates the open alert of its rule and patient, or merges into it.
import { getStatus, isOperationOutcome, OperationOutcomeError } from '@medplum/core';
import type { MedplumClient } from '@medplum/core';
import type { DetectedIssue } from '@medplum/fhirtypes';
import { openAlertQuery } from './buildAlert.ts';
import { mergeIntoOpenAlert } from './mergeIntoOpenAlert.ts';

/** The MedplumClient methods this needs. */
export type AlertClient = Pick<MedplumClient, 'searchResources' | 'createResourceIfNoneExist' | 'updateResource'>;

export interface RaiseAlertResult {
  alert: DetectedIssue;
  /** created: a new open alert; updated: merged into the open one; unchanged: the breach was already recorded. */
  outcome: 'created' | 'updated' | 'unchanged';
}

const ATTEMPTS = 3;

function isVersionConflict(err: unknown): boolean {
  if (!(err instanceof OperationOutcomeError) || !isOperationOutcome(err.outcome)) {
    return false;
  }
  const status = getStatus(err.outcome);
  return status === 412 || status === 409;
}

/**
 * Finds the open alert with `alert`'s identifier (status preliminary); if there is none, creates `alert` with a
 * conditional create on that search (If-None-Exist), so two concurrent runs do not both create one on a server that
 * makes conditional create atomic; if there is one (or the conditional create found one), merges the breach into it
 * and updates it with If-Match on its version, starting again (3 attempts in all) when another writer got there
 * first. When several open alerts exist (written before this rule was enforced), the oldest takes the breach.
 */
export async function raiseAlert(medplum: AlertClient, alert: DetectedIssue): Promise<RaiseAlertResult> {
  const identifier = alert.identifier?.[0];
  if (!identifier?.system || !identifier.value) {
    throw new Error('An alert needs an identifier (see alertIdentifier)');
  }
  const query = openAlertQuery(identifier);
  for (let attempt = 1; ; attempt++) {
    const open = await medplum.searchResources('DetectedIssue', query);
    let existing = [...open].sort((a, b) =>
      (a.identifiedDateTime ?? '').localeCompare(b.identifiedDateTime ?? '')
    )[0] as DetectedIssue | undefined;
    let created = false;
    if (!existing) {
      existing = await medplum.createResourceIfNoneExist(alert, query);
      created = true;
    }
    const merged = mergeIntoOpenAlert(existing, alert);
    if (!merged.changed) {
      return { alert: existing, outcome: created ? 'created' : 'unchanged' };
    }
    try {
      const versionId = existing.meta?.versionId;
      const updated = await medplum.updateResource(
        merged.alert,
        versionId ? { headers: { 'If-Match': `W/"${versionId}"` } } : undefined
      );
      return { alert: updated, outcome: 'updated' };
    } catch (err) {
      if (attempt >= ATTEMPTS || !isVersionConflict(err)) {
        throw err;
      }
    }
  }
}
