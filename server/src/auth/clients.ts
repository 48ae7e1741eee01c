// Registered clients in oauth_client: saving one (secret hashed) and seeding the configured admin client.
import { isDeepStrictEqual } from 'node:util';
import type { ClientMetadata } from 'oidc-provider';
import type { ServerConfig } from '../config.ts';
import type { Db } from '../db/pool.ts';
import { hashClientSecret, verifyClientSecret } from './clientSecret.ts';

/** oidc-provider client metadata plus the SMART scopes the client may be granted (space-separated). */
export interface StoredClientMetadata extends ClientMetadata {
  fhir_scopes: string;
}

/** What the seeded admin client may do: all system scopes, v1 and v2 spellings. */
export const ADMIN_CLIENT_SCOPES = 'system/*.* system/*.cruds';

/** Creates or replaces a client. A given `secret` is stored as a hash in `client_secret`. */
export async function saveClient(pool: Db, metadata: StoredClientMetadata, secret?: string): Promise<void> {
  const stored = secret === undefined ? metadata : { ...metadata, client_secret: await hashClientSecret(secret) };
  await pool.query(
    `INSERT INTO oauth_client (client_id, metadata) VALUES ($1, $2)
     ON CONFLICT (client_id) DO UPDATE SET metadata = EXCLUDED.metadata, updated_at = now()`,
    [metadata.client_id, JSON.stringify(stored)]
  );
}

/** The stored metadata of a client, or undefined. */
export async function findClient(pool: Db, clientId: string): Promise<StoredClientMetadata | undefined> {
  const { rows } = await pool.query('SELECT metadata FROM oauth_client WHERE client_id = $1', [clientId]);
  return rows[0]?.metadata;
}

function adminClientMetadata(config: ServerConfig): StoredClientMetadata {
  return {
    client_id: config.adminClientId,
    client_name: 'RPM administration (client credentials)',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
    fhir_scopes: ADMIN_CLIENT_SCOPES,
    // The administration client also acts as a resource server: it may introspect any token.
    rpm_introspect: true,
  } as StoredClientMetadata;
}

/**
 * Makes sure the configured admin client exists with the configured secret. Leaves it untouched when it already
 * matches (so restarts are no-ops); rewrites it when the secret or its metadata changed.
 */
export async function seedAdminClient(pool: Db, config: ServerConfig): Promise<'created' | 'updated' | 'unchanged'> {
  const wanted = adminClientMetadata(config);
  const existing = await findClient(pool, wanted.client_id);
  if (existing) {
    const { client_secret: storedSecret, ...storedRest } = existing;
    const sameMetadata = isDeepStrictEqual(storedRest, wanted);
    if (sameMetadata && (await verifyClientSecret(config.adminClientSecret, storedSecret))) {
      return 'unchanged';
    }
  }
  await saveClient(pool, wanted, config.adminClientSecret);
  return existing ? 'updated' : 'created';
}
