// Whether a bound socket's caller may read a notification's focus resource (the server's access rules, as for a read).
import type { Resource } from '@medplum/fhirtypes';
import type { Caller } from '../../auth/authenticate.ts';
import type { Db } from '../../db/pool.ts';
import { PostgresRepository } from '../../fhir/repository/postgresRepository.ts';

/**
 * The type check (scopes and role) and then the per-resource check (reach, granular scopes) of the version that is
 * about to be sent. A fresh repository each time: reach is computed per request, so a CareTeam change counts at once.
 */
export async function mayReceive(pool: Db, fhirBaseUrl: string, caller: Caller, resource: Resource): Promise<boolean> {
  const repo = new PostgresRepository(pool, { fhirBaseUrl, caller });
  try {
    repo.assertMay(resource.resourceType, 'read');
  } catch {
    return false;
  }
  return repo.policy.mayRead(pool, resource);
}
