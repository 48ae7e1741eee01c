// Posts single readings at a fixed rate, as devices do (resending after a 503), and records each one's commit time.
import type { Observation } from '@medplum/fhirtypes';
import type { FhirClient } from '../fhirClient.ts';
import type { MonitoredPatient } from '../generateObservations.ts';
import { normalReading, redReading } from './deviceReadings.ts';

export interface StreamOptions {
  /** Readings per second to offer. */
  rate: number;
  seconds: number;
  /** Share of readings that are red (each to a patient who gets no other red reading). */
  redShare: number;
  /** Most requests outstanding at once; past it readings wait at the device for a free one (and are late). */
  maxInFlight: number;
  /**
   * FHIR base URLs of the server instances, taken in turn as a round-robin load balancer would (a resend may go to
   * another instance); by default the client's.
   */
  fhirBaseUrls?: string[];
}

export interface CommittedReading {
  observationId: string;
  patientId: string;
  /** The server's commit time (meta.lastUpdated), ms since the epoch. */
  committedAtMs: number;
  /** When the device first sent it (before any 503 and resend), ms since the epoch, same clock. */
  firstSentAtMs: number;
  red: boolean;
}

export interface StreamResult {
  readings: CommittedReading[];
  offered: number;
  failed: number;
  /** 503 answers (alerts running late: the reading was not stored and was sent again after Retry-After). */
  refused: number;
  /** Readings that needed at least one resend. */
  resent: number;
  errors: string[];
  /** From the first request to the last response. */
  elapsedSeconds: number;
}

/**
 * The rate the server committed readings at: readings after the first, over the time from the first commit to the
 * last (the server's commit times). A server that keeps pace with readings offered at `rate` for `seconds` commits
 * them in (n − 1) / rate seconds and scores `rate`; one that falls behind spreads them over longer. (Dividing by the
 * time from the first request to the last response instead counts the last reading's own latency as lost time: a
 * server that kept pace with 500/s for 30 s scored 499/s.)
 */
export function commitRate(readings: Pick<CommittedReading, 'committedAtMs'>[]): number {
  if (readings.length < 2) {
    return 0;
  }
  let first = Infinity;
  let last = -Infinity;
  for (const { committedAtMs } of readings) {
    first = Math.min(first, committedAtMs);
    last = Math.max(last, committedAtMs);
  }
  return (readings.length - 1) / (Math.max(1, last - first) / 1000);
}

/** Longest a device keeps resending one reading before the bench counts it as failed. */
const RESEND_FOR_MS = 600_000;

/** At most `limit` requests in flight; the others wait in arrival order. */
function requestSlots(limit: number) {
  let inFlight = 0;
  const waiting: (() => void)[] = [];
  return {
    async take(): Promise<void> {
      if (inFlight < limit) {
        inFlight++;
        return;
      }
      await new Promise<void>((resolve) => waiting.push(resolve));
    },
    give(): void {
      const next = waiting.shift();
      if (next) {
        next(); // handed over: inFlight unchanged
      } else {
        inFlight--;
      }
    },
  };
}

/**
 * Open-loop: reading i is due at start + i / rate and is sent as soon as it is due and a request slot is free. Red
 * readings go to patients from the end of the list, one each; normal readings rotate over the others. A `503` (the
 * server refuses readings while its alerts run late) is answered as a device does: the same reading is sent again
 * after Retry-After (plus up to half again, so that devices do not return all at once), without holding a slot.
 */
export async function streamReadings(
  client: FhirClient,
  patients: MonitoredPatient[],
  options: StreamOptions
): Promise<StreamResult> {
  const total = Math.round(options.rate * options.seconds);
  const reds = Math.min(Math.round(total * options.redShare), Math.floor(patients.length / 2));
  const redEvery = reds > 0 ? total / reds : Infinity;
  const redPatients = patients.slice(patients.length - reds);
  const normalPatients = patients.slice(0, patients.length - reds);
  const authorization = await client.authorizationHeader();
  const bases = options.fhirBaseUrls?.length ? options.fhirBaseUrls : [client.fhirBaseUrl];
  let requests = 0;
  const readings: CommittedReading[] = [];
  const errors: string[] = [];
  const slots = requestSlots(options.maxInFlight);
  let failed = 0;
  let refused = 0;
  let resent = 0;
  let redSent = 0;
  const started = Date.now();
  let lastResponse = started;
  const fail = (message: string): void => {
    failed++;
    if (errors.length < 5) {
      errors.push(message);
    }
  };
  const send = async (i: number): Promise<void> => {
    const red = redSent < reds && i >= Math.round(redSent * redEvery);
    const patient = red ? redPatients[redSent++] : normalPatients[i % normalPatients.length];
    const firstSentAtMs = Date.now();
    const body = JSON.stringify(red ? redReading(patient.id, new Date()) : normalReading(patient.id, i, new Date()));
    for (let attempt = 0; ; attempt++) {
      await slots.take();
      let status: number;
      let text: string;
      let retryAfter: string | null;
      try {
        const response = await fetch(`${bases[requests++ % bases.length]}/Observation`, {
          method: 'POST',
          headers: { authorization, 'content-type': 'application/fhir+json', accept: 'application/fhir+json' },
          body,
          signal: AbortSignal.timeout(30_000),
        });
        status = response.status;
        retryAfter = response.headers.get('retry-after');
        text = await response.text();
      } catch (err) {
        fail(`POST Observation failed: ${(err as Error).message}`);
        return;
      } finally {
        slots.give();
        lastResponse = Date.now();
      }
      if (status === 503 && retryAfter !== null && Date.now() - firstSentAtMs < RESEND_FOR_MS) {
        refused++;
        if (attempt === 0) {
          resent++;
        }
        await new Promise((r) => setTimeout(r, Number(retryAfter) * 1000 * (1 + Math.random() / 2)));
        continue;
      }
      if (status !== 201) {
        fail(`POST Observation answered ${status}: ${text.slice(0, 200)}`);
        return;
      }
      const created = JSON.parse(text) as Observation;
      readings.push({
        observationId: created.id as string,
        patientId: patient.id,
        committedAtMs: Date.parse(created.meta?.lastUpdated as string),
        firstSentAtMs,
        red,
      });
      return;
    }
  };
  const pending = new Set<Promise<void>>();
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / options.rate;
    const wait = due - Date.now();
    if (wait > 0) {
      await new Promise((r) => setTimeout(r, wait));
    }
    const request = send(i).finally(() => pending.delete(request));
    pending.add(request);
    if (i > 0 && i % Math.round(options.rate * 10) === 0) {
      const seconds = (Date.now() - started) / 1000;
      console.log(
        `[alerting]   ${i.toLocaleString('en-GB')} readings offered in ${seconds.toFixed(1)} s (${refused.toLocaleString('en-GB')} answers 503 so far)`
      );
    }
  }
  await Promise.all(pending);
  return {
    readings,
    offered: total,
    failed,
    refused,
    resent,
    errors,
    elapsedSeconds: (lastResponse - started) / 1000,
  };
}
