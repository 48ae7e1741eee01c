// The signed-in account as oidc-provider sees it: its subject and the claims (fhirUser, name) of its id_token.
import type { Account } from 'oidc-provider';
import type { Db } from '../db/pool.ts';

/** The account's FHIR resource as an absolute URL, the form SMART's fhirUser claim takes. */
export function fhirUserUrl(fhirBaseUrl: string, fhirUser: string): string {
  return `${fhirBaseUrl}/${fhirUser}`;
}

/** oidc-provider's findAccount: undefined for unknown or disabled accounts (their sessions then end). */
export async function findAccountForProvider(db: Db, fhirBaseUrl: string, id: string): Promise<Account | undefined> {
  const { rows } = await db.query('SELECT id, fhir_user, display_name FROM account WHERE id = $1 AND NOT disabled', [
    id,
  ]);
  const row = rows[0] as { id: string; fhir_user: string; display_name: string | null } | undefined;
  if (!row) {
    return undefined;
  }
  return {
    accountId: row.id,
    claims: () => ({
      sub: row.id,
      fhirUser: fhirUserUrl(fhirBaseUrl, row.fhir_user),
      ...(row.display_name ? { name: row.display_name } : {}),
    }),
  };
}
