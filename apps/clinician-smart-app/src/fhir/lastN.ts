// Observation/$lastn (a standard R4 operation) for a caseload in chunks; remembers a server that does not have it.
import { getStatus, OperationOutcomeError, type MedplumClient } from '@medplum/core';
import type { Bundle, Observation, Parameters } from '@medplum/fhirtypes';
import { chunks, PATIENTS_PER_SEARCH } from './searchInChunks.ts';

/** Clients whose server answered $lastn as unknown or unsupported: they use plain searches from then on. */
const withoutLastN = new WeakSet<MedplumClient>();

/** Answers meaning "no such operation here" (not "your request was wrong" about a supported one). */
const UNSUPPORTED_STATUSES = new Set([400, 404, 405, 501]);

export function mayHaveLastN(medplum: MedplumClient): boolean {
  return !withoutLastN.has(medplum);
}

/**
 * Whether `err` (from a $lastn call) means the server does not have the operation; if so, the client is remembered
 * as one without it. Our server advertises it (CapabilityStatement `Observation.operation` lastn); trying it costs
 * a server without it one refused request, where reading the CapabilityStatement would cost every load 700 kB.
 */
export function lastNUnsupported(medplum: MedplumClient, err: unknown): boolean {
  const unsupported = err instanceof OperationOutcomeError && UNSUPPORTED_STATUSES.has(getStatus(err.outcome));
  if (unsupported) {
    withoutLastN.add(medplum);
  }
  return unsupported;
}

/**
 * `POST Observation/$lastn` (subject = a chunk of `patientIds`, plus `query`), chunks in parallel: the newest `max`
 * (default 1) Observations of each code for each patient.
 */
export async function lastNForPatients(
  medplum: MedplumClient,
  patientIds: readonly string[],
  query: Record<string, string>
): Promise<Observation[]> {
  const bundles = await Promise.all(
    chunks(patientIds, PATIENTS_PER_SEARCH).map((ids) => {
      // POSTed as a Parameters resource (the operations framework's form), so a chunk is not limited by URL length.
      const parameters: Parameters = {
        resourceType: 'Parameters',
        parameter: Object.entries({ ...query, subject: ids.map((id) => `Patient/${id}`).join(',') }).map(
          ([name, valueString]) => ({ name, valueString })
        ),
      };
      return medplum.post(medplum.fhirUrl('Observation', '$lastn'), parameters) as Promise<Bundle>;
    })
  );
  return bundles.flatMap((bundle) =>
    (bundle.entry ?? []).map((e) => e.resource as Observation).filter((r) => r?.resourceType === 'Observation')
  );
}
