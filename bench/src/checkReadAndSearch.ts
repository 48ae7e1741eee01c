// Before timing anything, checks the read and the search return the right data: a fast wrong answer is not a result.
import type { Bundle, Observation } from '@medplum/fhirtypes';
import { heartRateSearchPath, observationReadPath, SEARCH_PAGE_SIZE } from './benchRequests.ts';
import type { FhirClient } from './fhirClient.ts';
import {
  HEART_RATE_LOINC,
  heartRateReadingsSince,
  type MonitoredPatient,
  type ReadingPlan,
} from './generateObservations.ts';

export interface CorrectnessCheck {
  ok: boolean;
  detail: string;
}

/** Checks reading one Observation by id. */
export async function checkRead(client: FhirClient, observationId: string): Promise<CorrectnessCheck> {
  const { status, json, text } = await client.get(observationReadPath(observationId));
  const observation = json as Observation | undefined;
  if (status !== 200 || observation?.resourceType !== 'Observation' || observation.id !== observationId) {
    return { ok: false, detail: `GET Observation/${observationId} → ${status}: ${text.slice(0, 200)}` };
  }
  return { ok: true, detail: `GET Observation/{id} → 200 with that Observation` };
}

/** Checks the 30-day heart-rate search for some patients against what the generator produced. */
export async function checkSearch(
  client: FhirClient,
  plan: ReadingPlan,
  patients: MonitoredPatient[],
  sinceDate: string
): Promise<CorrectnessCheck> {
  const sinceMs = Date.parse(`${sinceDate}T00:00:00Z`);
  const checked: string[] = [];
  for (const patient of patients) {
    const path = heartRateSearchPath(patient.id, sinceDate);
    const { status, json, text } = await client.get(path);
    const bundle = json as Bundle | undefined;
    if (status !== 200 || bundle?.resourceType !== 'Bundle' || bundle.type !== 'searchset') {
      return { ok: false, detail: `GET ${path} → ${status}: ${text.slice(0, 200)}` };
    }
    const expected = Math.min(SEARCH_PAGE_SIZE, heartRateReadingsSince(plan, patient.index, sinceMs));
    const matches = (bundle.entry ?? [])
      .filter((entry) => entry.search?.mode !== 'include')
      .map((entry) => entry.resource as Observation);
    if (matches.length !== expected) {
      return { ok: false, detail: `Patient/${patient.id}: ${matches.length} entries, expected ${expected}` };
    }
    let previous = Number.POSITIVE_INFINITY;
    for (const observation of matches) {
      const effective = Date.parse(observation.effectiveDateTime ?? '');
      const isHeartRate = observation.code?.coding?.some((coding) => coding.code === HEART_RATE_LOINC) === true;
      if (
        !isHeartRate ||
        observation.subject?.reference !== `Patient/${patient.id}` ||
        !(effective >= sinceMs) ||
        effective > previous
      ) {
        return {
          ok: false,
          detail: `Patient/${patient.id}: entry Observation/${observation.id} is not a heart rate of that patient since ${sinceDate} in descending date order`,
        };
      }
      previous = effective;
    }
    checked.push(`${matches.length}`);
  }
  return {
    ok: true,
    detail: `${patients.length} patients: ${checked.join(', ')} entries each as expected, heart rates only, newest first`,
  };
}
