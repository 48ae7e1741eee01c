// Writes an alert idempotently through the FHIR API: creates the open alert of its rule and patient, or merges into it.
import { getStatus, isOperationOutcome, OperationOutcomeError } from '@medplum/core';
import type { MedplumClient } from '@medplum/core';
import type { Bundle, DetectedIssue, Identifier } from '@medplum/fhirtypes';
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
    const oldest = [...open].sort((a, b) =>
      (a.identifiedDateTime ?? '').localeCompare(b.identifiedDateTime ?? '')
    )[0] as DetectedIssue | undefined;
    try {
      return await writeIntoOpenAlert(medplum, alert, oldest, query);
    } catch (err) {
      if (attempt >= ATTEMPTS || !isVersionConflict(err)) {
        throw err;
      }
    }
  }
}

/**
 * The write itself, once the open alert is known: with none, a conditional create on `query` (which still finds one
 * another run made meanwhile); then the breach merged in and, if that changed anything, an update with If-Match on
 * the version read (a version conflict is thrown for the caller to start again).
 */
async function writeIntoOpenAlert(
  medplum: AlertClient,
  alert: DetectedIssue,
  open: DetectedIssue | undefined,
  query: string
): Promise<RaiseAlertResult> {
  const existing = open ?? (await medplum.createResourceIfNoneExist(alert, query));
  const merged = mergeIntoOpenAlert(existing, alert);
  if (!merged.changed) {
    return { alert: existing, outcome: open ? 'unchanged' : 'created' };
  }
  const versionId = existing.meta?.versionId;
  const updated = await medplum.updateResource(
    merged.alert,
    versionId ? { headers: { 'If-Match': `W/"${versionId}"` } } : undefined
  );
  return { alert: updated, outcome: 'updated' };
}

/**
 * raiseAlert for a caller that already searched the open alerts (a scheduled scan reads a hundred patients' open
 * alerts in one search): `open` is the open alert with `alert`'s identifier, or undefined when there was none. An
 * unchanged breach then costs no request, a new alert one conditional create, a change one update with If-Match; a
 * version conflict starts again through raiseAlert. One open alert per rule and patient, as with raiseAlert.
 */
export async function raiseAlertKnowingOpen(
  medplum: AlertClient,
  alert: DetectedIssue,
  open: DetectedIssue | undefined
): Promise<RaiseAlertResult> {
  const identifier = alert.identifier?.[0];
  if (!identifier?.system || !identifier.value) {
    return raiseAlert(medplum, alert); // which says what is wrong
  }
  try {
    return await writeIntoOpenAlert(medplum, alert, open, openAlertQuery(identifier));
  } catch (err) {
    if (!isVersionConflict(err)) {
      throw err;
    }
    return raiseAlert(medplum, alert); // Changed since the search: start again from the current version.
  }
}

/** Alerts written together in one transaction: up to this many per request. */
export const ALERTS_PER_TRANSACTION = 100;

/**
 * Opens many new alerts (none was open for any of them a moment ago) with one transaction of conditional creates per
 * hundred, instead of a request each: a scan that finds thousands overdue at once stays within its time limit. An
 * alert another run opened meanwhile (the create found it: 200) is merged as raiseAlertKnowingOpen does; if a
 * transaction fails as a whole (one alert refused), each of its alerts is raised on its own, so one bad alert never
 * keeps the others from being written.
 */
export async function openNewAlerts(
  medplum: AlertClient & Pick<MedplumClient, 'executeBatch'>,
  alerts: DetectedIssue[]
): Promise<RaiseAlertResult[]> {
  const results: RaiseAlertResult[] = [];
  for (let first = 0; first < alerts.length; first += ALERTS_PER_TRANSACTION) {
    const chunk = alerts.slice(first, first + ALERTS_PER_TRANSACTION);
    const identifiers = chunk.map((a) => a.identifier?.[0]);
    if (chunk.length === 1 || identifiers.some((i) => !i?.system || !i.value)) {
      for (const alert of chunk) {
        results.push(await raiseAlertKnowingOpen(medplum, alert, undefined));
      }
      continue;
    }
    let response: Bundle | undefined;
    try {
      response = await medplum.executeBatch({
        resourceType: 'Bundle',
        type: 'transaction',
        entry: chunk.map((alert, i) => ({
          request: { method: 'POST', url: 'DetectedIssue', ifNoneExist: openAlertQuery(identifiers[i] as Identifier) },
          resource: alert,
        })),
      });
    } catch {
      response = undefined;
    }
    for (const [i, alert] of chunk.entries()) {
      const entry = response?.entry?.[i];
      const status = entry?.response?.status ?? '';
      const written = entry?.resource as DetectedIssue | undefined;
      if (status.startsWith('201') && written) {
        results.push({ alert: written, outcome: 'created' });
      } else if (status.startsWith('200') && written?.status === 'preliminary') {
        results.push(await raiseAlertKnowingOpen(medplum, alert, written));
      } else {
        results.push(await raiseAlertKnowingOpen(medplum, alert, undefined));
      }
    }
  }
  return results;
}
