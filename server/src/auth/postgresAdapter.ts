// oidc-provider storage on PostgreSQL, so that every server instance sees the same tokens, grants and clients.
import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';
import type { Db } from '../db/pool.ts';

/** Models whose rows carry a grant id, so that revoking a grant removes them all (as the library's own adapter). */
const GRANTABLE = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
]);

/** Reads by id, session uid and device user code; expired rows count as absent. */
const FIND_BY = {
  id: `SELECT payload, extract(epoch FROM consumed_at)::bigint AS consumed FROM oauth_payload
       WHERE model = $1 AND id = $2 AND (expires_at IS NULL OR expires_at > now())`,
  uid: `SELECT payload, extract(epoch FROM consumed_at)::bigint AS consumed FROM oauth_payload
        WHERE model = $1 AND uid = $2 AND (expires_at IS NULL OR expires_at > now()) LIMIT 1`,
  userCode: `SELECT payload, extract(epoch FROM consumed_at)::bigint AS consumed FROM oauth_payload
             WHERE model = $1 AND user_code = $2 AND (expires_at IS NULL OR expires_at > now()) LIMIT 1`,
} as const;

function withConsumed(
  row: { payload: AdapterPayload; consumed: string | null } | undefined
): AdapterPayload | undefined {
  if (!row) {
    return undefined;
  }
  return row.consumed === null ? row.payload : { ...row.payload, consumed: Number(row.consumed) };
}

/** Every model except Client: rows of oauth_payload keyed by (model, id). */
class PayloadAdapter implements Adapter {
  readonly #pool: Db;
  readonly #model: string;

  constructor(pool: Db, model: string) {
    this.#pool = pool;
    this.#model = model;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const grantId = GRANTABLE.has(this.#model) && typeof payload.grantId === 'string' ? payload.grantId : null;
    await this.#pool.query(
      `INSERT INTO oauth_payload (model, id, payload, grant_id, user_code, uid, expires_at, consumed_at)
       VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $7::double precision IS NULL THEN NULL
                                            ELSE now() + $7::double precision * interval '1 second' END, NULL)
       ON CONFLICT (model, id) DO UPDATE SET payload = EXCLUDED.payload, grant_id = EXCLUDED.grant_id,
         user_code = EXCLUDED.user_code, uid = EXCLUDED.uid, expires_at = EXCLUDED.expires_at, consumed_at = NULL`,
      [
        this.#model,
        id,
        JSON.stringify(payload),
        grantId,
        payload.userCode ?? null,
        payload.uid ?? null,
        typeof expiresIn === 'number' ? expiresIn : null,
      ]
    );
  }

  async #findBy(key: keyof typeof FIND_BY, value: string): Promise<AdapterPayload | undefined> {
    const { rows } = await this.#pool.query(FIND_BY[key], [this.#model, value]);
    return withConsumed(rows[0]);
  }

  find(id: string): Promise<AdapterPayload | undefined> {
    return this.#findBy('id', id);
  }

  findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.#findBy('uid', uid);
  }

  findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.#findBy('userCode', userCode);
  }

  async consume(id: string): Promise<void> {
    await this.#pool.query('UPDATE oauth_payload SET consumed_at = now() WHERE model = $1 AND id = $2', [
      this.#model,
      id,
    ]);
  }

  async destroy(id: string): Promise<void> {
    await this.#pool.query('DELETE FROM oauth_payload WHERE model = $1 AND id = $2', [this.#model, id]);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.#pool.query('DELETE FROM oauth_payload WHERE grant_id = $1', [grantId]);
  }
}

/** The Client model: registered clients in oauth_client (no expiry, no grants). */
class ClientAdapter implements Adapter {
  readonly #pool: Db;

  constructor(pool: Db) {
    this.#pool = pool;
  }

  async upsert(id: string, payload: AdapterPayload): Promise<void> {
    await this.#pool.query(
      `INSERT INTO oauth_client (client_id, metadata) VALUES ($1, $2)
       ON CONFLICT (client_id) DO UPDATE SET metadata = EXCLUDED.metadata, updated_at = now()`,
      [id, JSON.stringify(payload)]
    );
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const { rows } = await this.#pool.query('SELECT metadata FROM oauth_client WHERE client_id = $1', [id]);
    return rows[0]?.metadata;
  }

  async destroy(id: string): Promise<void> {
    await this.#pool.query('DELETE FROM oauth_client WHERE client_id = $1', [id]);
  }

  async findByUid(): Promise<undefined> {
    return undefined;
  }

  async findByUserCode(): Promise<undefined> {
    return undefined;
  }

  async consume(): Promise<void> {
    throw new Error('Client records cannot be consumed');
  }

  async revokeByGrantId(): Promise<void> {
    return undefined;
  }
}

/** The adapter factory for oidc-provider's `adapter` option. */
export function createPostgresAdapter(pool: Db): AdapterFactory {
  return (model: string) => (model === 'Client' ? new ClientAdapter(pool) : new PayloadAdapter(pool, model));
}

/** Deletes expired artefacts; returns how many. Safe to run from several instances at once. */
export async function pruneExpiredPayloads(pool: Db): Promise<number> {
  const { rowCount } = await pool.query('DELETE FROM oauth_payload WHERE expires_at <= now()');
  return rowCount ?? 0;
}
