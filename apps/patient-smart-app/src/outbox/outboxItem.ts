// One reading waiting in the outbox, and the rules for it: its identifier, what a failure means, when to try again.
import { isOperationOutcome, OperationOutcomeError } from '@medplum/core';
import type { Device, Identifier, Observation, OperationOutcome } from '@medplum/fhirtypes';
import { statusOf } from '../ui/plainError.ts';

/** The app's own identifier system: every reading the app sends carries one, value a UUID made on the phone. */
export const READING_IDENTIFIER_SYSTEM = 'http://rpm-platform.org/fhir/identifier/patient-app-reading';

/**
 * `waiting`: not sent yet (no connection, or the server had a problem; tried again later);
 * `sent`: the server has every Observation of the reading; `refused`: the server said no (4xx): not tried again.
 */
export type OutboxState = 'waiting' | 'sent' | 'refused';

export interface OutboxItem {
  /** The reading's UUID (also the outbox key). */
  id: string;
  /** What the patient measured (a vital-sign key of `vitals/vitalSigns.ts`). */
  vital: string;
  /** The reading in words, e.g. "120/80 mmHg, pulse 70 beats a minute". */
  summary: string;
  /** The Observations to create, each with its own app identifier (a blood pressure also makes a pulse). */
  resources: Observation[];
  /**
   * A Bluetooth reading's Device (absent for typed-in readings, and for items saved before the app recorded Devices):
   * sent with the Observations in one transaction, by conditional create; the Observations' `device.reference` is
   * `fullUrl`.
   */
  device?: OutboxDevice;
  /** When the patient took it (ISO). */
  takenAt: string;
  state: OutboxState;
  /** Failed attempts so far. */
  attempts: number;
  /** Not before this time (ms since epoch) for the next attempt. */
  nextAttemptAt: number;
  /** Server ids of the created Observations, once sent. */
  sentIds?: string[];
  /** The server's reason (refused) or the last problem (waiting). */
  problem?: string;
}

/** The Device entry of an outbox item: a `urn:uuid` made on the phone and the Device. */
export interface OutboxDevice {
  fullUrl: string;
  resource: Device;
}

/** The identifier of the `index`th Observation of a reading: `<reading uuid>` for the first, `<uuid>-<index>` after. */
export function readingIdentifier(readingId: string, index: number): Identifier {
  return { system: READING_IDENTIFIER_SYSTEM, value: index === 0 ? readingId : `${readingId}-${index}` };
}

/** The conditional-create criteria of an Observation sent by the outbox: its app identifier. */
export function ifNoneExistCriteria(observation: Observation): string {
  const own = observation.identifier?.find((id) => id.system === READING_IDENTIFIER_SYSTEM);
  if (!own?.value) {
    throw new Error('an outbox Observation needs the app identifier');
  }
  return `identifier=${encodeURIComponent(`${own.system}|${own.value}`)}`;
}

/** A new outbox item: each Observation gets the reading's identifier (added to any it already has). */
export function newOutboxItem(input: {
  id: string;
  vital: string;
  summary: string;
  observations: Observation[];
  /** The device the reading came from (Bluetooth readings). */
  device?: OutboxDevice;
  takenAt: string;
  now: number;
}): OutboxItem {
  return {
    id: input.id,
    vital: input.vital,
    summary: input.summary,
    ...(input.device ? { device: input.device } : {}),
    resources: input.observations.map((observation, index) => ({
      ...observation,
      identifier: [...(observation.identifier ?? []), readingIdentifier(input.id, index)],
    })),
    takenAt: input.takenAt,
    state: 'waiting',
    attempts: 0,
    nextAttemptAt: input.now,
  };
}

function outcomeOf(err: unknown): OperationOutcome | undefined {
  return err instanceof OperationOutcomeError ? err.outcome : isOperationOutcome(err) ? err : undefined;
}

/**
 * FHIR issue types of the `transient` group: the same content may be sent again once the problem has passed (a busy
 * server answers `throttled` with 503, an unavailable database `transient`). MedplumClient does not keep the HTTP
 * status of an error, so these codes are how a 5xx is told from a 4xx.
 */
const TRANSIENT_ISSUES = new Set([
  'transient',
  'lock-error',
  'no-store',
  'exception',
  'timeout',
  'throttled',
  'incomplete',
]);

/**
 * `refused`: the server answered 4xx (the reading is wrong, or not allowed) and will answer the same again;
 * `retry`: no answer (offline), a server problem (5xx, or a transient issue), or a 401/408/429 that passes with time
 * or a new token.
 */
export function failureKind(err: unknown): 'refused' | 'retry' {
  const outcome = outcomeOf(err);
  if (!outcome || outcome.issue?.some((issue) => TRANSIENT_ISSUES.has(issue.code))) {
    return 'retry';
  }
  const status = statusOf(outcome);
  return status >= 400 && status < 500 && ![401, 408, 429].includes(status) ? 'refused' : 'retry';
}

/** Back-off after `attempts` failures: 5 s, 10 s, 20 s, … at most 10 minutes. */
export function retryDelayMs(attempts: number): number {
  return Math.min(5_000 * 2 ** Math.max(0, attempts - 1), 10 * 60_000);
}

/** The item after a failed attempt at `now`. */
export function afterFailure(item: OutboxItem, err: unknown, message: string, now: number): OutboxItem {
  if (failureKind(err) === 'refused') {
    return { ...item, state: 'refused', problem: message };
  }
  const attempts = item.attempts + 1;
  return { ...item, state: 'waiting', attempts, nextAttemptAt: now + retryDelayMs(attempts), problem: message };
}

/** Items due for an attempt at `now`: waiting, and their back-off has passed. */
export function dueItems(items: readonly OutboxItem[], now: number): OutboxItem[] {
  return items.filter((item) => item.state === 'waiting' && item.nextAttemptAt <= now);
}
