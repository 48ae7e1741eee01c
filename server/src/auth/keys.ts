// Signing keys and cookie keys: generated once by whichever instance starts first, kept in PostgreSQL, shared by all.
import crypto from 'node:crypto';
import type { JWK } from 'oidc-provider';
import { withDbTransaction, type Db } from '../db/pool.ts';

export interface AuthKeys {
  /** Private signing keys, newest first (RSA for RS256/PS256, EC P-256 for ES256). */
  jwks: { keys: JWK[] };
  /** Cookie-signing secrets, newest first (the first signs, all verify). */
  cookieKeys: string[];
}

type KeyKind = 'signing' | 'cookie';

const LOCK_KEY = 81030003;

function newKid(): string {
  return crypto.randomBytes(12).toString('base64url');
}

function signingKeys(): JWK[] {
  const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  return [rsa, ec].map((jwk) => ({ ...jwk, kid: newKid(), use: 'sig' }) as JWK);
}

function cookieKey(): JWK {
  return { kty: 'oct', kid: newKid(), k: crypto.randomBytes(32).toString('base64url') } as JWK;
}

/** Loads the active keys, creating the missing kinds first (under an advisory lock, so only one instance does). */
export async function ensureAuthKeys(pool: Db): Promise<AuthKeys> {
  return withDbTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
    const load = async () =>
      (
        await client.query<{ kind: KeyKind; jwk: JWK }>(
          'SELECT kind, jwk FROM oauth_key WHERE retired_at IS NULL ORDER BY created_at DESC, kid'
        )
      ).rows;
    let rows = await load();
    const missing: Array<[KeyKind, JWK]> = [];
    if (!rows.some((row) => row.kind === 'signing')) {
      missing.push(...signingKeys().map((jwk): [KeyKind, JWK] => ['signing', jwk]));
    }
    if (!rows.some((row) => row.kind === 'cookie')) {
      missing.push(['cookie', cookieKey()]);
    }
    for (const [kind, jwk] of missing) {
      await client.query('INSERT INTO oauth_key (kid, kind, jwk) VALUES ($1, $2, $3)', [
        jwk.kid,
        kind,
        JSON.stringify(jwk),
      ]);
    }
    if (missing.length > 0) {
      rows = await load();
    }
    return {
      jwks: { keys: rows.filter((row) => row.kind === 'signing').map((row) => row.jwk) },
      cookieKeys: rows.filter((row) => row.kind === 'cookie').map((row) => row.jwk.k as string),
    };
  });
}
