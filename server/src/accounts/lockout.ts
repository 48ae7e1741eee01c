// Lockout after repeated failed sign-ins: counted atomically in SQL, so concurrent wrong attempts all count.
import type { Queryable } from '../db/pool.ts';

/** Consecutive failed attempts (passwords and TOTP codes together) that lock an account. */
export const MAX_FAILED_LOGINS = 5;
/** How long a lockout lasts. Attempts while locked are refused and neither counted nor extend it. */
export const LOCKOUT_MINUTES = 15;

/**
 * Counts one failed attempt and locks the account when it reaches MAX_FAILED_LOGINS. A lockout that has run out
 * starts the count again at 1. Returns the lockout's end when the account is locked (now or already).
 */
export async function recordFailedLogin(db: Queryable, accountId: string): Promise<Date | undefined> {
  // One statement: the row lock serialises concurrent failures, and each sees the count the previous one left.
  // Every SET expression reads the row as it was before this update.
  const { rows } = await db.query(
    `UPDATE account SET
       failed_logins = CASE WHEN locked_until IS NULL THEN failed_logins + 1 ELSE 1 END,
       locked_until = CASE WHEN (CASE WHEN locked_until IS NULL THEN failed_logins + 1 ELSE 1 END) >= $2
                           THEN now() + make_interval(mins => $3) END,
       updated_at = now()
     WHERE id = $1 AND (locked_until IS NULL OR locked_until <= now())
     RETURNING locked_until > now() AS locked, extract(epoch FROM locked_until) * 1000 AS locked_until_ms`,
    [accountId, MAX_FAILED_LOGINS, LOCKOUT_MINUTES]
  );
  if (rows[0]) {
    return rows[0].locked ? new Date(Number(rows[0].locked_until_ms)) : undefined;
  }
  // Locked meanwhile (by a concurrent failure), or no such account.
  return currentLockout(db, accountId);
}

/** The end of the account's lockout, when it is locked now. */
export async function currentLockout(db: Queryable, accountId: string): Promise<Date | undefined> {
  const { rows } = await db.query(
    `SELECT extract(epoch FROM locked_until) * 1000 AS locked_until_ms FROM account
     WHERE id = $1 AND locked_until > now()`,
    [accountId]
  );
  return rows[0] ? new Date(Number(rows[0].locked_until_ms)) : undefined;
}

/**
 * Forgets failed attempts after a completed sign-in (only when there is something to forget). Leaves a lockout
 * that a concurrent failure has just started in force.
 */
export async function clearFailedLogins(db: Queryable, accountId: string): Promise<void> {
  await db.query(
    `UPDATE account SET failed_logins = 0, locked_until = NULL, updated_at = now()
     WHERE id = $1 AND (failed_logins <> 0 OR locked_until IS NOT NULL)
       AND (locked_until IS NULL OR locked_until <= now())`,
    [accountId]
  );
}
