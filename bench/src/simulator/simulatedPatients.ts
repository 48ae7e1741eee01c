// Finds or creates the simulated patients (by NHS Number) and enrols those without an active monitoring CarePlan.
import type { Bundle, CarePlan, Patient } from '@medplum/fhirtypes';
import { enrolPatients } from '../alerting/enrolPatients.ts';
import type { FhirClient } from '../fhirClient.ts';
import type { MonitoredPatient } from '../generateObservations.ts';
import { benchPatients } from '../generatePatients.ts';
import { NHS_NUMBER_SYSTEM } from '../nhsNumber.ts';

const CHUNK = 100;

export interface SimulatedPatient extends MonitoredPatient {
  nhsNumber: string;
}

async function postTransaction(client: FhirClient, bundle: Bundle): Promise<Bundle> {
  const response = await fetch(`${client.fhirBaseUrl}/`, {
    method: 'POST',
    headers: { authorization: await client.authorizationHeader(), 'content-type': 'application/fhir+json' },
    body: JSON.stringify(bundle),
    signal: AbortSignal.timeout(120_000),
  });
  const text = await response.text();
  if (response.status !== 200) {
    throw new Error(`creating simulated patients: POST / answered ${response.status}: ${text.slice(0, 300)}`);
  }
  return JSON.parse(text) as Bundle;
}

/**
 * The first `count` bench patients, created by conditional create on their NHS Number (bench/src/loadPatients.ts
 * creates unconditionally, which would duplicate them when the simulator runs again against the same server).
 */
async function findOrCreatePatients(client: FhirClient, count: number, seed: number): Promise<SimulatedPatient[]> {
  const all = benchPatients(count, seed);
  const result: SimulatedPatient[] = [];
  for (let first = 0; first < all.length; first += CHUNK) {
    const slice = all.slice(first, first + CHUNK);
    const response = await postTransaction(client, {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: slice.map((patient: Patient) => {
        const nhsNumber = patient.identifier?.[0].value as string;
        return {
          resource: patient,
          request: { method: 'POST', url: 'Patient', ifNoneExist: `identifier=${NHS_NUMBER_SYSTEM}|${nhsNumber}` },
        };
      }),
    });
    response.entry?.forEach((entry, offset) => {
      const id = (entry.resource as Patient | undefined)?.id ?? entry.response?.location?.split('/')[1];
      if (!id) throw new Error(`no id for simulated patient ${first + offset}: ${JSON.stringify(entry.response)}`);
      result.push({ index: first + offset, id, nhsNumber: slice[offset].identifier?.[0].value as string });
    });
  }
  return result;
}

/** Ids of the patients among `patients` that already have an active CarePlan. */
async function enrolledPatientIds(client: FhirClient, patients: SimulatedPatient[]): Promise<Set<string>> {
  const enrolled = new Set<string>();
  for (let first = 0; first < patients.length; first += CHUNK) {
    const subjects = patients
      .slice(first, first + CHUNK)
      .map((p) => `Patient/${p.id}`)
      .join(',');
    const { status, json, text } = await client.get(
      `/CarePlan?status=active&subject=${subjects}&_elements=subject&_count=1000`
    );
    if (status !== 200) throw new Error(`searching CarePlans answered ${status}: ${text.slice(0, 300)}`);
    for (const entry of (json as Bundle<CarePlan>).entry ?? []) {
      const reference = entry.resource?.subject?.reference;
      if (reference) enrolled.add(reference.slice('Patient/'.length));
    }
  }
  return enrolled;
}

/** The simulated patients, each enrolled in the heart-failure programme (as the alerting scenario enrols them). */
export async function simulatedPatients(client: FhirClient, count: number, seed: number): Promise<SimulatedPatient[]> {
  const patients = await findOrCreatePatients(client, count, seed);
  const enrolled = await enrolledPatientIds(client, patients);
  const toEnrol = patients.filter((p) => !enrolled.has(p.id));
  if (toEnrol.length > 0) {
    await enrolPatients(client, toEnrol, CHUNK, 2);
  }
  console.log(`[simulate] ${patients.length} patients (${toEnrol.length} newly enrolled)`);
  return patients;
}
