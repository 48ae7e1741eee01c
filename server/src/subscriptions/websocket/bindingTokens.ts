// Websocket binding tokens: random, short-lived, one Subscription each, stored hashed in PostgreSQL with the caller.
import crypto from 'node:crypto';
import type { Caller } from '../../auth/authenticate.ts';
import type { Queryable } from '../../db/pool.ts';

/** A binding token lives an hour (as Medplum's do), and never longer than the access token that asked for it. */
export const BINDING_TOKEN_TTL_SECONDS = 3600;

export interface IssuedBindingToken {
  /** The secret the client sends in `bind-with-token`. */
  token: string;
  expiresAt: Date;
}

export interface BindingGrant {
  subscriptionId: string;
  /** Who asked for the token: a bound socket receives only what this caller may read. */
  caller: Caller;
  expiresAt: Date;
}

/** The stored (and looked-up) form of a token: SHA-256, base64url. */
export function bindingTokenHash(token: string): string {
  return crypto.createHash('sha256').update(token).digest('base64url');
}

/** When a token issued now for this caller expires: in an hour, or when the caller's access token does. */
export function bindingExpiry(caller: Caller, now = Date.now()): Date {
  const limit = now + BINDING_TOKEN_TTL_SECONDS * 1000;
  return new Date(caller.expiresAt > 0 ? Math.min(limit, caller.expiresAt * 1000) : limit);
}

/** Issues a token for one Subscription on behalf of `caller`; also drops tokens that expired. */
export async function issueBindingToken(
  db: Queryable,
  subscriptionId: string,
  caller: Caller
): Promise<IssuedBindingToken> {
  const token = crypto.randomBytes(32).toString('base64url');
  const expiresAt = bindingExpiry(caller);
  await db.query('DELETE FROM websocket_binding_token WHERE expires_at < now()');
  await db.query(
    'INSERT INTO websocket_binding_token (token_hash, subscription_id, caller, expires_at) VALUES ($1, $2, $3, $4)',
    [bindingTokenHash(token), subscriptionId, JSON.stringify(caller), expiresAt.toISOString()]
  );
  return { token, expiresAt };
}

/** What an unexpired token grants; undefined for an unknown, malformed or expired token. */
export async function findBindingToken(db: Queryable, token: string): Promise<BindingGrant | undefined> {
  if (!/^[A-Za-z0-9_-]{16,128}$/.test(token)) {
    return undefined;
  }
  const { rows } = await db.query(
    'SELECT subscription_id, caller, expires_at FROM websocket_binding_token WHERE token_hash = $1 AND expires_at > now()',
    [bindingTokenHash(token)]
  );
  const row = rows[0] as { subscription_id: string; caller: Caller; expires_at: string } | undefined;
  return row && { subscriptionId: row.subscription_id, caller: row.caller, expiresAt: new Date(row.expires_at) };
}

/** Deletes the binding tokens issued to a revoked access token or grant (idempotent: every instance may run it). */
export async function forgetBindingTokens(
  db: Queryable,
  revocation: { token?: string; grant?: string }
): Promise<void> {
  if (revocation.token !== undefined) {
    await db.query("DELETE FROM websocket_binding_token WHERE caller->'token'->>'digest' = $1", [revocation.token]);
  }
  if (revocation.grant !== undefined) {
    await db.query("DELETE FROM websocket_binding_token WHERE caller->'token'->>'grantId' = $1", [revocation.grant]);
  }
}
