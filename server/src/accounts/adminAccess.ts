// Who may administer accounts: the admin system client (all-resources system scope) or a signed-in admin.
import type { Caller } from '../auth/authenticate.ts';
import type { Queryable } from '../db/pool.ts';
import { findAccountById } from './accountStore.ts';

/** System scopes that stand for full administrative reach (v1 and v2 spellings). */
export const ACCOUNT_ADMIN_SYSTEM_SCOPES: readonly string[] = ['system/*.*', 'system/*.cruds'];

/**
 * True for a system (client_credentials) caller granted `system/*.*` or `system/*.cruds`, and for a user whose
 * account is, right now, an enabled admin. For users the account row decides, not the token's `role` claim: a
 * disabled or demoted admin's token stops working here at once rather than at its expiry (a token whose claim
 * names another role is refused too).
 */
export async function mayAdministerAccounts(db: Queryable, caller: Caller): Promise<boolean> {
  if (caller.subject === undefined) {
    return caller.scopes.some((scope) => ACCOUNT_ADMIN_SYSTEM_SCOPES.includes(scope));
  }
  if (caller.role !== undefined && caller.role !== 'admin') {
    return false;
  }
  const account = await findAccountById(db, caller.subject);
  return account?.role === 'admin' && !account.disabled;
}
