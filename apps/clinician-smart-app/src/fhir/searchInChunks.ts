// Runs one FHIR search per chunk of patients (`subject=Patient/a,Patient/b,…`), so a caseload costs a few requests.
import type { MedplumClient, WithId } from '@medplum/core';
import type { Bundle, Resource } from '@medplum/fhirtypes';

/** Patients per request: keeps the URL short (about 2–3 kB) whatever the id format. */
export const PATIENTS_PER_SEARCH = 50;

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += size) {
    result.push(items.slice(i, i + size));
  }
  return result;
}

/**
 * Every resource (matches and includes) of `resourceType?<patientParam>=<chunk>&<query>` over all chunks of
 * `patientIds`, requests in parallel; follows no paging (the query sets `_count`).
 */
export async function searchForPatients(
  medplum: MedplumClient,
  resourceType: string,
  patientParam: string,
  patientIds: readonly string[],
  query: Record<string, string>
): Promise<WithId<Resource>[]> {
  const bundles = await Promise.all(
    chunks(patientIds, PATIENTS_PER_SEARCH).map(
      (ids) =>
        medplum.search(resourceType as 'Patient', {
          ...query,
          [patientParam]: ids.map((id) => `Patient/${id}`).join(','),
        }) as Promise<Bundle>
    )
  );
  return bundles.flatMap((bundle) => (bundle.entry ?? []).map((e) => e.resource as WithId<Resource>)).filter(Boolean);
}
