// The oidc-provider instance: SMART App Launch (authorization code + PKCE) and backend services, state in PostgreSQL.
import Provider, { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { Db } from '../db/pool.ts';
import { findAccountForProvider } from './accountClaims.ts';
import { clientBasedCors } from './clientCors.ts';
import { verifyClientSecret } from './clientSecret.ts';
import { fhirResourceIndicators, SMART_STATIC_SCOPES } from './fhirResourceServer.ts';
import type { AuthKeys } from './keys.ts';
import { checkAudience, checkLaunch, checkState } from './launch/authorizationParams.ts';
import { grantContextClaims } from './launch/tokenLaunchContext.ts';
import { noCachePragma } from './noCachePragma.ts';
import { createPostgresAdapter } from './postgresAdapter.ts';
import { renderErrorPage } from './pages/errorPage.ts';
import { applyRegistrationPolicy } from './registrationPolicy.ts';
import { parseSmartScope, splitScopes } from './smartScopes.ts';
import { unknownRoute } from './unknownRoute.ts';

export interface ProviderOptions {
  /** `${baseUrl}/oauth2`: the provider is mounted there, so its discovery document sits under the issuer. */
  issuer: string;
  fhirBaseUrl: string;
  accessTokenTtl: number;
  /** Refresh tokens of `offline_access` grants live this long (online_access ones end with the session). */
  refreshTokenTtl: number;
  /** A sign-in session ends after this many seconds without use (each authorization renews it). */
  sessionIdleTtl: number;
  pool: Db;
  keys: AuthKeys;
  /** Marks cookies Secure. */
  production: boolean;
}

/** Client metadata property listing the SMART scopes a client may be granted. */
const FHIR_SCOPES = 'fhir_scopes';
/** Client metadata property marking our own first-party apps: no consent page, the user already trusts them. */
const FIRST_PARTY = 'rpm_first_party';
/** Client metadata property of resource servers allowed to introspect any client's tokens. */
const INTROSPECTOR = 'rpm_introspect';
/** Client metadata property: where an EHR (or our demo launcher) opens the app with iss and launch. */
const LAUNCH_URI = 'rpm_launch_uri';

function validateExtraMetadata(
  ctx: KoaContextWithOIDC | undefined,
  key: string,
  value: unknown,
  metadata: Record<string, unknown>
): void {
  if (key === FHIR_SCOPES && ctx?.oidc?.route?.startsWith('registration')) {
    applyRegistrationPolicy(metadata);
    value = metadata[FHIR_SCOPES];
  }
  if (key === FHIR_SCOPES) {
    if (typeof value !== 'string' || splitScopes(value).some((scope) => !parseSmartScope(scope))) {
      throw new errors.InvalidClientMetadata(`${FHIR_SCOPES} must be a space-separated list of SMART scopes`);
    }
  }
  if (key === LAUNCH_URI && value !== undefined && (typeof value !== 'string' || !URL.canParse(value))) {
    throw new errors.InvalidClientMetadata(`${LAUNCH_URI} must be an absolute URL`);
  }
  if ((key === FIRST_PARTY || key === INTROSPECTOR) && value !== undefined && typeof value !== 'boolean') {
    throw new errors.InvalidClientMetadata(`${key} must be a boolean`);
  }
}

/** Which interaction page to show: oidc-provider hands the browser to /oauth2/interaction/<uid>. */
function interactionUrl(issuer: string) {
  const path = new URL(issuer).pathname.replace(/\/$/, '');
  return (_ctx: KoaContextWithOIDC, interaction: { uid: string }) => `${path}/interaction/${interaction.uid}`;
}

function configuration(options: ProviderOptions): Configuration {
  const refreshTtl = options.refreshTokenTtl;
  return {
    adapter: createPostgresAdapter(options.pool),
    jwks: options.keys.jwks,
    cookies: {
      keys: options.keys.cookieKeys,
      long: { signed: true, secure: options.production, sameSite: 'lax' },
      short: { signed: true, secure: options.production, sameSite: 'lax' },
    },
    findAccount: (_ctx, id) => findAccountForProvider(options.pool, options.fhirBaseUrl, id),
    // SMART resource scopes are patterns (patient/*.rs covers patient/Observation.rs), checked against each
    // client's fhir_scopes by fhirResourceServer.ts; only the fixed OpenID/SMART scopes are declared here.
    scopes: [...SMART_STATIC_SCOPES],
    claims: {
      openid: ['sub'],
      fhirUser: ['fhirUser'],
      profile: ['name'],
    },
    // The id_token of the code flow carries the fhirUser claim (SMART), not only userinfo.
    conformIdTokenClaims: false,
    responseTypes: ['code'],
    pkce: { required: () => true },
    extraParams: {
      aud: (ctx, value) => checkAudience(ctx, value, options.fhirBaseUrl),
      launch: (ctx, value) => checkLaunch(ctx, value, options.pool),
      state: (ctx, value) => checkState(ctx, value),
    },
    extraClientMetadata: {
      properties: [FHIR_SCOPES, FIRST_PARTY, INTROSPECTOR, LAUNCH_URI],
      validator: validateExtraMetadata,
    },
    clientAuthMethods: ['none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt'],
    enabledJWA: {
      // SMART backend services and confidential apps sign client assertions with RS384 or ES384.
      clientAuthSigningAlgValues: ['RS384', 'ES384', 'RS256', 'ES256'],
      idTokenSigningAlgValues: ['RS256', 'ES256'],
    },
    clientDefaults: {
      grant_types: ['client_credentials'],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
    },
    clientBasedCORS: clientBasedCors,
    interactions: { url: interactionUrl(options.issuer) },
    // The user's approval is a Grant saved by the consent step; reuse it so an approved app is not asked again.
    loadExistingGrant: async (ctx) => {
      const grantId =
        (ctx.oidc.result?.consent as { grantId?: string } | undefined)?.grantId ??
        ctx.oidc.session?.grantIdFor(ctx.oidc.client?.clientId as string);
      return grantId ? ctx.oidc.provider.Grant.find(grantId) : undefined;
    },
    extraTokenClaims: (ctx, token) => grantContextClaims(options.pool, token),
    issueRefreshToken: async (_ctx, client, code) =>
      client.grantTypeAllowed('refresh_token') &&
      (code.scopes.has('offline_access') || code.scopes.has('online_access')),
    // Every refresh returns a new refresh token and retires the old one (a reused one revokes the grant).
    rotateRefreshToken: true,
    expiresWithSession: async (_ctx, code) => !code.scopes.has('offline_access'),
    renderError: renderErrorPage,
    // Client JWKS URIs are fetched with the library's SSRF protection (no private or special-use addresses), except
    // loopback outside production, where local EHR simulators and tests publish their keys.
    fetch: (url, init) => {
      const { hostname } = new URL(url instanceof Request ? url.url : url);
      const loopback = hostname === 'localhost' || hostname === '127.0.0.1' || hostname === '[::1]';
      const { dispatcher: _ssrfGuard, ...unguarded } = init as RequestInit & { dispatcher?: unknown };
      return globalThis.fetch(url, options.production || !loopback ? init : unguarded);
    },
    routes: {
      authorization: '/authorize',
      token: '/token',
      jwks: '/jwks',
      introspection: '/introspect',
      registration: '/reg',
      revocation: '/revoke',
      end_session: '/logout',
    },
    ttl: {
      AccessToken: options.accessTokenTtl,
      ClientCredentials: options.accessTokenTtl,
      AuthorizationCode: 60,
      IdToken: options.accessTokenTtl,
      Interaction: 30 * 60,
      Grant: refreshTtl,
      Session: options.sessionIdleTtl,
      RefreshToken: (_ctx, token) => (token.scopes.has('offline_access') ? refreshTtl : options.sessionIdleTtl),
    },
    features: {
      clientCredentials: { enabled: true },
      resourceIndicators: fhirResourceIndicators(options),
      introspection: {
        enabled: true,
        // A client may introspect its own tokens; the admin client (a resource-server role) any token.
        allowedPolicy: async (_ctx, client, token) =>
          token.clientId === client.clientId || (client as unknown as Record<string, unknown>)[INTROSPECTOR] === true,
      },
      revocation: {
        enabled: true,
        // A client revokes only its own tokens (RFC 7009 2.1). A public client asking about another's token is
        // answered 200 with nothing done, as the RFC allows; a confidential client is told it may not.
        allowedPolicy: async (_ctx, client, token) => {
          if (token.clientId === client.clientId) {
            return true;
          }
          if (client.clientAuthMethod === 'none') {
            return false;
          }
          throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
        },
      },
      // Open dynamic registration (RFC 7591) for apps acting for a user: see registrationPolicy.ts.
      registration: { enabled: true },
      devInteractions: { enabled: false },
      dPoP: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      rpInitiatedLogout: { enabled: true },
      userinfo: { enabled: false },
    },
  };
}

export function createProvider(options: ProviderOptions): Provider {
  const provider = new Provider(options.issuer, configuration(options));
  // Stored client_secret values are scrypt hashes (see clientSecret.ts); the library awaits this comparison.
  provider.Client.prototype.compareClientSecret = function compareClientSecret(actual: string) {
    return verifyClientSecret(actual, (this as unknown as { clientSecret?: string }).clientSecret);
  };
  provider.use(unknownRoute);
  provider.use(noCachePragma);
  provider.on('server_error', (_ctx: unknown, err: Error) => console.error('oidc-provider server_error:', err));
  return provider;
}
