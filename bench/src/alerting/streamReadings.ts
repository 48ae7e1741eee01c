// Posts single readings at a fixed rate, as devices do, and records each one's commit time (meta.lastUpdated).
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
  /** Most requests outstanding at once; past it the stream falls behind its rate (and the report shows it). */
  maxInFlight: number;
}

export interface CommittedReading {
  observationId: string;
  patientId: string;
  /** The server's commit time (meta.lastUpdated), ms since the epoch. */
  committedAtMs: number;
  red: boolean;
}

export interface StreamResult {
  readings: CommittedReading[];
  offered: number;
  failed: number;
  errors: string[];
  /** From the first request to the last response. */
  elapsedSeconds: number;
}

/**
 * Open-loop: reading i is due at start + i / rate and is sent as soon as it is due and a slot is free. Red
 * readings go to patients from the end of the list, one each; normal readings rotate over the others.
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
  const readings: CommittedReading[] = [];
  const errors: string[] = [];
  let failed = 0;
  let inFlight = 0;
  let redSent = 0;
  const started = Date.now();
  let lastResponse = started;
  const send = async (i: number): Promise<void> => {
    const red = redSent < reds && i >= Math.round(redSent * redEvery);
    const patient = red ? redPatients[redSent++] : normalPatients[i % normalPatients.length];
    const body = red ? redReading(patient.id, new Date()) : normalReading(patient.id, i, new Date());
    try {
      const response = await fetch(`${client.fhirBaseUrl}/Observation`, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/fhir+json', accept: 'application/fhir+json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
      const text = await response.text();
      if (response.status !== 201) {
        failed++;
        if (errors.length < 5) {
          errors.push(`POST Observation answered ${response.status}: ${text.slice(0, 200)}`);
        }
        return;
      }
      const created = JSON.parse(text) as Observation;
      readings.push({
        observationId: created.id as string,
        patientId: patient.id,
        committedAtMs: Date.parse(created.meta?.lastUpdated as string),
        red,
      });
    } catch (err) {
      failed++;
      if (errors.length < 5) {
        errors.push(`POST Observation failed: ${(err as Error).message}`);
      }
    } finally {
      lastResponse = Date.now();
    }
  };
  const pending = new Set<Promise<void>>();
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / options.rate;
    const wait = due - Date.now();
    if (wait > 0) {
      await new Promise((r) => setTimeout(r, wait));
    }
    while (inFlight >= options.maxInFlight) {
      await Promise.race(pending);
    }
    inFlight++;
    const request = send(i).finally(() => {
      inFlight--;
      pending.delete(request);
    });
    pending.add(request);
    if (i > 0 && i % Math.round(options.rate * 10) === 0) {
      const seconds = (Date.now() - started) / 1000;
      console.log(`[alerting]   ${i.toLocaleString('en-GB')} readings offered in ${seconds.toFixed(1)} s`);
    }
  }
  await Promise.all(pending);
  return { readings, offered: total, failed, errors, elapsedSeconds: (lastResponse - started) / 1000 };
}
