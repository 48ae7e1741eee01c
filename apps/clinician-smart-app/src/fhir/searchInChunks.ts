// Runs one FHIR search per chunk of patients (POST _search, `subject=Patient/a,Patient/b,…`): a caseload costs a few requests.
import type { MedplumClient, WithId } from '@medplum/core';
import type { Bundle, Resource } from '@medplum/fhirtypes';

/**
 * Patients per request. The searches are POSTed (`[type]/_search` with a form body, which every FHIR server must
 * accept as it accepts GET), so a chunk is not limited by URL length (servers commonly accept 8–16 kB of request
 * line and headers, about 100 UUID-length patients). Each request has a fixed cost on the server (token, access,
 * audit) and waits for one of the browser's six connections to a server: a 500-patient caseload costs two requests
 * per search instead of five.
 */
export const PATIENTS_PER_SEARCH = 250;

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += size) {
    result.push(items.slice(i, i + size));
  }
  return result;
}

const nextLink = (bundle: Bundle): string | undefined => bundle.link?.find((l) => l.relation === 'next')?.url;

/**
 * Every resource (matches and includes) of `resourceType/_search` with `<patientParam>=<chunk>&<query>` over all chunks of
 * `patientIds`, chunks in parallel, each followed through its `next` pages (rarely any: the query sets `_count`).
 */
export async function searchForPatients(
  medplum: MedplumClient,
  resourceType: string,
  patientParam: string,
  patientIds: readonly string[],
  query: Record<string, string>
): Promise<WithId<Resource>[]> {
  const pages = await Promise.all(
    chunks(patientIds, PATIENTS_PER_SEARCH).map(async (ids) => {
      const form = new URLSearchParams({ ...query, [patientParam]: ids.map((id) => `Patient/${id}`).join(',') });
      const bundles = [
        (await medplum.post(
          medplum.fhirUrl(resourceType, '_search'),
          form.toString(),
          'application/x-www-form-urlencoded'
        )) as Bundle,
      ];
      // A page that is not the last names the next one: follow it, so nothing is cut off whatever `_count` allows.
      for (let next = nextLink(bundles[0]); next; next = nextLink(bundles[bundles.length - 1])) {
        bundles.push((await medplum.get(next, { cache: 'no-cache' })) as Bundle);
      }
      return bundles;
    })
  );
  return pages
    .flat()
    .flatMap((bundle) => (bundle.entry ?? []).map((e) => e.resource as WithId<Resource>))
    .filter(Boolean);
}
