// Posts readings at a fixed rate, alone as devices do or in gateway bundles (resending after a 503), with commit times.
import type { Bundle, Observation } from '@medplum/fhirtypes';
import type { FhirClient } from '../fhirClient.ts';
import { leanPoster } from '../leanPost.ts';
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
   * Readings per request: 1 (the default) posts each reading alone (`POST Observation`), as a device does; N > 1 posts
   * every N consecutive readings together in one transaction Bundle, sent when the last of them is due, as a gateway
   * (a device vendor's cloud, a care home's hub) forwarding what it collected does.
   */
  readingsPerPost?: number;
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
  /**
   * When the device first sent it (before any 503 and resend), ms since the epoch, same clock; in gateway bundles,
   * when it was due (so its wait at the gateway for the rest of its bundle counts too).
   */
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

/** One reading on its way: who it is for, whether it is red, when it was due, and the Observation. */
interface Prepared {
  red: boolean;
  patient: MonitoredPatient;
  firstSentAtMs: number;
  resource: Observation;
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
  const poster = leanPoster(options.maxInFlight);
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
  /** The reading due i-th, made at `dueAtMs`: its patient (red readings one patient each) and its body. */
  const prepare = (i: number, dueAtMs: number): Prepared => {
    const red = redSent < reds && i >= Math.round(redSent * redEvery);
    const patient = red ? redPatients[redSent++] : normalPatients[i % normalPatients.length];
    const when = new Date(dueAtMs);
    return {
      red,
      patient,
      firstSentAtMs: dueAtMs,
      resource: red ? redReading(patient.id, when) : normalReading(patient.id, i, when),
    };
  };
  /** Sends one request until it is answered other than 503 (resending after Retry-After); undefined when it failed. */
  const post = async (
    path: string,
    body: string,
    what: string
  ): Promise<{ status: number; text: string } | undefined> => {
    const firstSentAtMs = Date.now();
    for (let attempt = 0; ; attempt++) {
      await slots.take();
      let status: number;
      let text: string;
      let retryAfter: string | null;
      try {
        ({ status, retryAfter, text } = await poster.post(
          `${bases[requests++ % bases.length]}${path}`,
          { authorization, 'content-type': 'application/fhir+json', accept: 'application/fhir+json' },
          body,
          30_000
        ));
      } catch (err) {
        fail(`POST ${what} failed: ${(err as Error).message}`);
        return undefined;
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
      return { status, text };
    }
  };
  const committed = (reading: Prepared, created: Observation | undefined): void => {
    readings.push({
      observationId: created?.id as string,
      patientId: reading.patient.id,
      committedAtMs: Date.parse(created?.meta?.lastUpdated as string),
      firstSentAtMs: reading.firstSentAtMs,
      red: reading.red,
    });
  };
  const sendAlone = async (reading: Prepared): Promise<void> => {
    const answer = await post('/Observation', JSON.stringify(reading.resource), 'Observation');
    if (!answer) {
      return;
    }
    if (answer.status !== 201) {
      fail(`POST Observation answered ${answer.status}: ${answer.text.slice(0, 200)}`);
      return;
    }
    committed(reading, JSON.parse(answer.text) as Observation);
  };
  const sendBundle = async (group: Prepared[]): Promise<void> => {
    const bundle: Bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: group.map((r) => ({ request: { method: 'POST', url: 'Observation' }, resource: r.resource })),
    };
    const answer = await post('', JSON.stringify(bundle), `a Bundle of ${group.length}`);
    if (!answer) {
      failed += group.length - 1; // post counted the bundle once
      return;
    }
    const entries = answer.status === 200 ? ((JSON.parse(answer.text) as Bundle).entry ?? []) : [];
    const created = entries.map((e) =>
      e.response?.status?.startsWith('201') ? (e.resource as Observation) : undefined
    );
    if (created.length !== group.length || created.some((c) => !c?.meta?.lastUpdated)) {
      fail(`POST Bundle of ${group.length} answered ${answer.status}: ${answer.text.slice(0, 200)}`);
      failed += group.length - 1;
      return;
    }
    group.forEach((reading, k) => committed(reading, created[k]));
  };
  const pending = new Set<Promise<void>>();
  const perPost = Math.max(1, options.readingsPerPost ?? 1);
  let group: Prepared[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / options.rate;
    const wait = due - Date.now();
    if (wait > 0) {
      await new Promise((r) => setTimeout(r, wait));
    }
    group.push(prepare(i, Date.now()));
    if (group.length === perPost || i === total - 1) {
      const sending = group;
      group = [];
      const request = (perPost === 1 ? sendAlone(sending[0]) : sendBundle(sending)).finally(() =>
        pending.delete(request)
      );
      pending.add(request);
    }
    if (i > 0 && i % Math.round(options.rate * 10) === 0) {
      const seconds = (Date.now() - started) / 1000;
      console.log(
        `[alerting]   ${i.toLocaleString('en-GB')} readings offered in ${seconds.toFixed(1)} s (${refused.toLocaleString('en-GB')} answers 503 so far)`
      );
    }
  }
  await Promise.all(pending);
  poster.close();
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
