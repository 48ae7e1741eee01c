// The oidc-provider instance: client_credentials only for now, opaque tokens for the FHIR API, state in PostgreSQL.
import Provider, { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { Db } from '../db/pool.ts';
import { clientBasedCors } from './clientCors.ts';
import { verifyClientSecret } from './clientSecret.ts';
import { fhirResourceIndicators } from './fhirResourceServer.ts';
import type { AuthKeys } from './keys.ts';
import { noCachePragma } from './noCachePragma.ts';
import { createPostgresAdapter } from './postgresAdapter.ts';
import { parseSmartScope, splitScopes } from './smartScopes.ts';
import { unknownRoute } from './unknownRoute.ts';

export interface ProviderOptions {
  /** `${baseUrl}/oauth2`: the provider is mounted there, so its discovery document sits under the issuer. */
  issuer: string;
  fhirBaseUrl: string;
  accessTokenTtl: number;
  pool: Db;
  keys: AuthKeys;
  /** Marks cookies Secure (interactive flows, next issue). */
  production: boolean;
}

/** Client metadata property listing the SMART scopes a client may be granted. */
const FHIR_SCOPES = 'fhir_scopes';

function validateFhirScopes(_ctx: KoaContextWithOIDC | undefined, key: string, value: unknown): void {
  if (key !== FHIR_SCOPES) {
    return;
  }
  if (typeof value !== 'string' || splitScopes(value).some((scope) => !parseSmartScope(scope))) {
    throw new errors.InvalidClientMetadata(`${FHIR_SCOPES} must be a space-separated list of SMART scopes`);
  }
}

function configuration(options: ProviderOptions): Configuration {
  return {
    adapter: createPostgresAdapter(options.pool),
    jwks: options.keys.jwks,
    cookies: {
      keys: options.keys.cookieKeys,
      long: { signed: true, secure: options.production },
      short: { signed: true, secure: options.production },
    },
    // Only static (OpenID) scopes are declared here. SMART scopes are patterns (system/*.cruds covers
    // system/Observation.rs), checked against each client's fhir_scopes by fhirResourceServer.ts.
    // Declaring `offline_access` would enable the refresh_token grant: next issue.
    scopes: ['openid'],
    responseTypes: [],
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
    enabledJWA: {
      // SMART backend services sign client assertions with RS384 or ES384.
      clientAuthSigningAlgValues: ['RS384', 'ES384', 'RS256', 'ES256'],
    },
    clientDefaults: {
      grant_types: ['client_credentials'],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    extraClientMetadata: { properties: [FHIR_SCOPES], validator: validateFhirScopes },
    clientBasedCORS: clientBasedCors,
    // No browser pages exist yet (the authorization endpoint refuses every response type): errors stay JSON.
    renderError: (ctx, out) => {
      ctx.type = 'application/json';
      ctx.body = out;
    },
    routes: {
      authorization: '/authorize',
      token: '/token',
      jwks: '/jwks',
      introspection: '/introspect',
      revocation: '/revoke',
    },
    ttl: {
      AccessToken: options.accessTokenTtl,
      ClientCredentials: options.accessTokenTtl,
    },
    features: {
      clientCredentials: { enabled: true },
      resourceIndicators: fhirResourceIndicators(options),
      devInteractions: { enabled: false },
      dPoP: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      rpInitiatedLogout: { enabled: false },
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
