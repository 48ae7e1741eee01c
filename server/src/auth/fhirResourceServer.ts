// The FHIR API as oidc-provider's only resource server: tokens are issued for it, with the SMART scopes a client may have.
import { errors, type Client, type KoaContextWithOIDC, type ResourceServer } from 'oidc-provider';
import { isScopeAllowed, parseSmartScope, splitScopes } from './smartScopes.ts';

export interface FhirResourceServerOptions {
  /** The FHIR base URL; the `resource` (RFC 8707) every token is issued for, and the tokens' `aud`. */
  fhirBaseUrl: string;
  accessTokenTtl: number;
}

/** The SMART scopes a client is registered for (its `fhir_scopes` metadata). */
export function clientFhirScopes(client: Client): string[] {
  const value = (client as unknown as { fhir_scopes?: unknown }).fhir_scopes;
  return typeof value === 'string' ? splitScopes(value) : [];
}

/** The registered scopes a request without `scope` gets: the client's system scopes without granular queries. */
function defaultScopes(allowed: string[]): string[] {
  return allowed.filter((scope) => {
    const parsed = parseSmartScope(scope);
    return parsed?.context === 'system' && parsed.query === undefined;
  });
}

/** OpenID and SMART scopes that are not resource scopes but are granted (and reported) with them. */
export const SMART_STATIC_SCOPES = [
  'openid',
  'fhirUser',
  'profile',
  'offline_access',
  'online_access',
  'launch',
  'launch/patient',
  'launch/encounter',
] as const;
const STATIC = new Set<string>(SMART_STATIC_SCOPES);

/**
 * Scopes a user-facing grant (authorization code, refresh) may carry for this client: the static OpenID/SMART
 * scopes, and patient/ and user/ resource scopes its registered fhir_scopes cover. Anything else is left out, so
 * the user approves (and the token reports) only what the client may have; SMART lets a server grant less.
 */
export function grantableUserScopes(requested: readonly string[], client: Client): string[] {
  const allowed = clientFhirScopes(client);
  return requested.filter((scope) => {
    if (STATIC.has(scope)) {
      return true;
    }
    const parsed = parseSmartScope(scope);
    return parsed !== undefined && parsed.context !== 'system' && isScopeAllowed(allowed, scope);
  });
}

/** The scopes the current authorization-code or refresh exchange started from. */
function scopesOfGrantSource(ctx: KoaContextWithOIDC): string[] {
  const entities = ctx.oidc.entities as { AuthorizationCode?: { scope?: string }; RefreshToken?: { scope?: string } };
  return splitScopes(
    (ctx.oidc.params?.scope as string | undefined) ?? entities.AuthorizationCode?.scope ?? entities.RefreshToken?.scope
  );
}

/**
 * The requested system scopes, all of which the client may have. One scope it may not have refuses the whole
 * request (RFC 6749 invalid_scope) rather than issuing a silently narrower token.
 */
function grantableSystemScopes(ctx: KoaContextWithOIDC, client: Client): string[] {
  const allowed = clientFhirScopes(client);
  const requested = splitScopes(ctx.oidc.params?.scope as string | undefined);
  if (requested.length === 0) {
    // RFC 6749 section 3.3: an omitted scope means the registered default (generic OAuth clients send none).
    // The grant handler reads the requested scopes from the parameters after this call, so the default goes there.
    const defaults = defaultScopes(allowed);
    if (defaults.length === 0) {
      throw new errors.InvalidScope('scope is required (for example system/*.rs)', '');
    }
    (ctx.oidc.params as Record<string, unknown>).scope = defaults.join(' ');
    return defaults;
  }
  for (const scope of requested) {
    const parsed = parseSmartScope(scope);
    if (!parsed || parsed.context !== 'system') {
      throw new errors.InvalidScope(`unsupported scope ${scope}: only SMART system scopes are supported`, scope);
    }
    if (parsed.query !== undefined) {
      throw new errors.InvalidScope(
        `unsupported scope ${scope}: granular scopes with a query are not supported yet`,
        scope
      );
    }
    if (!isScopeAllowed(allowed, scope)) {
      throw new errors.InvalidScope(`requested scope ${scope} is not allowed for this client`, scope);
    }
  }
  return requested;
}

/** oidc-provider's `features.resourceIndicators`: the FHIR base is the default (and only) resource. */
export function fhirResourceIndicators(options: FhirResourceServerOptions) {
  return {
    enabled: true,
    defaultResource: (): string => options.fhirBaseUrl,
    useGrantedResource: (): boolean => true,
    getResourceServerInfo: (ctx: KoaContextWithOIDC, resourceIndicator: string, client: Client): ResourceServer => {
      if (resourceIndicator !== options.fhirBaseUrl) {
        throw new errors.InvalidTarget(`resource must be ${options.fhirBaseUrl}`);
      }
      const userFlow = ctx.oidc.params?.grant_type !== 'client_credentials';
      const scope = userFlow
        ? grantableUserScopes(scopesOfGrantSource(ctx), client)
        : grantableSystemScopes(ctx, client);
      return {
        scope: scope.join(' '),
        audience: options.fhirBaseUrl,
        accessTokenTTL: options.accessTokenTtl,
        // Opaque, so that they can be introspected and revoked.
        accessTokenFormat: 'opaque',
      };
    },
  };
}
