// The authorization server: keys, seeded admin client, oidc-provider and the bearer-token middleware, ready to mount.
import express, { type RequestHandler } from 'express';
import type { Redis } from 'ioredis';
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
import { seedAppClients } from './appClients.ts';
import { createInteractionRouter, type LoginEvent } from './interactions/routes.ts';
import { createLaunchRouter } from './launch/launchRoutes.ts';
import { pruneLaunchState } from './launch/launchContext.ts';
import { tokenResponseLaunchContext } from './launch/tokenLaunchContext.ts';
import { offlineAccessConsent } from './offlineAccessConsent.ts';
import { namePublicClientOfRefresh } from './publicClientRefresh.ts';
import { startRevocationFanout, type RevocationFanout } from './revocationFanout.ts';
import { smartConfiguration } from './smartConfiguration.ts';
import { createUpstreamLogin } from './upstream/upstreamLogin.ts';

export type { Caller } from './authenticate.ts';
export type { LoginEvent } from './interactions/routes.ts';
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
  /** Announces revocations to other instances (and hears theirs). */
  redis?: Redis;
  /** Called for every interactive sign-in attempt (the audit log). */
  onLogin?: (event: LoginEvent) => void;
}

export interface AuthorizationServer {
  provider: Provider;
  mountPath: typeof OAUTH_PATH;
  /** The OAuth endpoints, sign-in pages and launch API: `app.use(mountPath, handler)`, before any body parser. */
  handler: RequestHandler;
  /** The document served at <FHIR base>/.well-known/smart-configuration. */
  smartConfiguration: Record<string, unknown>;
  /** Bearer-token middleware for the FHIR API: sets res.locals.caller or answers 401. */
  authenticate: RequestHandler;
  /** Middleware factory: 403 unless the caller's scopes allow the interaction (type defaults to the first path segment). */
  requireScope: (interaction: Interaction, resourceType?: string) => RequestHandler;
  issuer: string;
  tokenUrl: string;
  fhirBaseUrl: string;
  /** Hears every revoked access token and grant, made here or (with Redis) on another instance. */
  onRevoked: RevocationFanout['onRevoked'];
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
    refreshTokenTtl: config.refreshTokenTtl,
    sessionIdleTtl: config.sessionIdleTtl,
    pool,
    keys,
    production: config.production,
  });
  // Behind the production reverse proxy, endpoint URLs come from X-Forwarded-Proto/Host (as express's trust proxy).
  provider.proxy = config.production;
  provider.use(tokenResponseLaunchContext(pool, `${issuer}/smart-style.json`));
  if (options.seedAdmin !== false) {
    await seedAppClients(pool, config);
  }
  const fanout = await startRevocationFanout(provider, options.redis);
  const authenticate = createAuthenticate({
    provider,
    fhirBaseUrl,
    // A disabled account's tokens stop working (within the 10 s verified-token cache).
    accountActive: async (accountId) => {
      const { rows } = await pool.query('SELECT disabled FROM account WHERE id = $1', [accountId]);
      return rows[0]?.disabled !== true;
    },
  });
  const callback = provider.callback();
  const upstream = createUpstreamLogin({
    provider,
    pool,
    issuer,
    providers: config.upstreamProviders,
    onLogin: options.onLogin,
  });

  const handler = express.Router();
  handler.get('/smart-style.json', (_req, res) => {
    res.set('Access-Control-Allow-Origin', '*').json(SMART_STYLE);
  });
  handler.use(
    '/interaction',
    upstream.interactionRouter,
    createInteractionRouter({ provider, pool, fhirBaseUrl, upstream: upstream.buttons, onLogin: options.onLogin })
  );
  handler.use(upstream.callbackRouter);
  handler.use(createLaunchRouter({ pool, provider, fhirBaseUrl, authenticate, launcherEnabled: config.ehrLauncher }));
  handler.use(offlineAccessConsent);
  handler.post('/token', async (req, res, next) => {
    try {
      callback(await namePublicClientOfRefresh(req, provider), res);
    } catch (err) {
      next(err);
    }
  });
  handler.use((req, res) => {
    callback(req, res);
  });

  const pruneIntervalMs = options.pruneIntervalMs ?? 10 * 60 * 1000;
  const timer =
    pruneIntervalMs > 0
      ? setInterval(() => {
          Promise.all([pruneExpiredPayloads(pool), pruneLaunchState(pool)]).catch((err) =>
            console.error('Pruning expired OAuth artefacts failed:', err.message)
          );
        }, pruneIntervalMs).unref()
      : undefined;

  return {
    provider,
    mountPath: OAUTH_PATH,
    handler,
    smartConfiguration: smartConfiguration({ issuer, fhirBaseUrl }),
    authenticate,
    requireScope: createRequireScope(fhirBaseUrl),
    issuer,
    tokenUrl: `${issuer}/token`,
    fhirBaseUrl,
    onRevoked: (listener) => fanout.onRevoked(listener),
    async close() {
      clearInterval(timer);
      await fanout.close();
    },
  };
}

/** SMART styling for embedded apps (smart_style_url): the colours of the sign-in pages. */
const SMART_STYLE = {
  color_background: '#f0f4f5',
  color_error: '#b10e1e',
  color_highlight: '#005eb8',
  color_modal_backdrop: '',
  color_success: '#007f3b',
  color_text: '#0b0c0c',
  dim_border_radius: '4px',
  dim_font_size: '16px',
  dim_spacing_size: '16px',
  font_family_body: 'system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif',
  font_family_heading: 'system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif',
};
