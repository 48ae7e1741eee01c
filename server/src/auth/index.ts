// The authorization server: keys, seeded admin client, oidc-provider and the bearer-token middleware, ready to mount.
import type { RequestHandler } from 'express';
import type Provider from 'oidc-provider';
import type { ServerConfig } from '../config.ts';
import type { Db } from '../db/pool.ts';
import { createAuthenticate } from './authenticate.ts';
import { seedAdminClient } from './clients.ts';
import { ensureAuthKeys } from './keys.ts';
import { pruneExpiredPayloads } from './postgresAdapter.ts';
import { createProvider } from './provider.ts';
import { createRequireScope } from './scopeCheck.ts';
import type { Interaction } from './smartScopes.ts';

export type { Caller } from './authenticate.ts';
export { getCaller } from './authenticate.ts';
export { assertCallerMay, callerMay, forbiddenOutcome } from './scopeCheck.ts';
export { scopesAllow, type Interaction } from './smartScopes.ts';
export { seedAdminClient, saveClient } from './clients.ts';

/** Where the lead mounts `handler`; the issuer is `${baseUrl}${OAUTH_PATH}`. */
export const OAUTH_PATH = '/oauth2';
/** The FHIR API the tokens are for (must match where the API is mounted). */
export const FHIR_PATH = '/fhir/R4';

export interface AuthorizationServerOptions {
  config: ServerConfig;
  pool: Db;
  /** Defaults to `${config.baseUrl}/fhir/R4`. */
  fhirBaseUrl?: string;
  /** Create or update the configured admin client (default true). */
  seedAdmin?: boolean;
  /** How often expired tokens are deleted, ms (default 10 minutes; 0 disables). */
  pruneIntervalMs?: number;
}

export interface AuthorizationServer {
  provider: Provider;
  mountPath: typeof OAUTH_PATH;
  /** oidc-provider's request handler: `app.use(mountPath, handler)`, before any body parser. */
  handler: RequestHandler;
  /** Bearer-token middleware for the FHIR API: sets res.locals.caller or answers 401. */
  authenticate: RequestHandler;
  /** Middleware factory: 403 unless the caller's scopes allow the interaction (type defaults to the first path segment). */
  requireScope: (interaction: Interaction, resourceType?: string) => RequestHandler;
  issuer: string;
  tokenUrl: string;
  fhirBaseUrl: string;
  close(): Promise<void>;
}

export async function createAuthorizationServer(options: AuthorizationServerOptions): Promise<AuthorizationServer> {
  const { config, pool } = options;
  const issuer = `${config.baseUrl}${OAUTH_PATH}`;
  const fhirBaseUrl = options.fhirBaseUrl ?? `${config.baseUrl}${FHIR_PATH}`;
  const keys = await ensureAuthKeys(pool);
  if (options.seedAdmin !== false) {
    await seedAdminClient(pool, config);
  }
  const provider = createProvider({
    issuer,
    fhirBaseUrl,
    accessTokenTtl: config.accessTokenTtl,
    pool,
    keys,
    production: config.production,
  });
  // Behind the production reverse proxy, endpoint URLs come from X-Forwarded-Proto/Host (as express's trust proxy).
  provider.proxy = config.production;
  const callback = provider.callback();

  const pruneIntervalMs = options.pruneIntervalMs ?? 10 * 60 * 1000;
  const timer =
    pruneIntervalMs > 0
      ? setInterval(() => {
          pruneExpiredPayloads(pool).catch((err) =>
            console.error('Pruning expired OAuth artefacts failed:', err.message)
          );
        }, pruneIntervalMs).unref()
      : undefined;

  return {
    provider,
    mountPath: OAUTH_PATH,
    handler: (req, res) => callback(req, res),
    authenticate: createAuthenticate({ provider, fhirBaseUrl }),
    requireScope: createRequireScope(fhirBaseUrl),
    issuer,
    tokenUrl: `${issuer}/token`,
    fhirBaseUrl,
    async close() {
      clearInterval(timer);
    },
  };
}
