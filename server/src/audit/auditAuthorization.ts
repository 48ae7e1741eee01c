// Audit of signing in: tokens issued and refused by oidc-provider, and interactive logins reported by the login pages.
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';
import type { LoginEvent } from '../auth/interactions/routes.ts';
import type { AuditEntry } from './auditEvent.ts';
import type { AuditLog } from './auditLog.ts';

/** What the login pages know about one interactive login attempt (the sign-in pages' own LoginEvent). */
export type LoginAttempt = LoginEvent;

function signInEntry(action: 'login' | 'logout', attempt: LoginAttempt): AuditEntry {
  return {
    action,
    outcome: attempt.outcome,
    ...(attempt.reason ? { outcomeText: attempt.reason } : {}),
    recorded: new Date(),
    agent: {
      who: attempt.fhirUser,
      accountId: attempt.accountId,
      clientId: attempt.clientId,
      name: attempt.email,
      ip: attempt.ip,
      userAgent: attempt.userAgent,
    },
  };
}

/** Records one interactive login attempt (called by the login pages). */
export function recordLogin(audit: AuditLog, attempt: LoginAttempt): void {
  audit.record(signInEntry('login', attempt));
}

/** Records a logout (called by the login pages). */
export function recordLogout(
  audit: AuditLog,
  attempt: Omit<LoginAttempt, 'outcome'> & { outcome?: 'success' | 'failure' }
): void {
  audit.record(signInEntry('logout', { outcome: 'success', ...attempt }));
}

/** The minimum of a token model the audit needs (AccessToken or ClientCredentials). */
interface IssuedToken {
  clientId?: string;
  accountId?: string;
  scope?: string;
  gty?: string;
  extra?: Record<string, unknown>;
}

/** The client id of a token request whose client may not have authenticated: body, or the Basic header's user. */
function requestedClientId(ctx: KoaContextWithOIDC): string | undefined {
  const known = ctx.oidc?.client?.clientId;
  if (known) {
    return known;
  }
  const param = ctx.oidc?.params?.client_id;
  if (typeof param === 'string' && param) {
    return param;
  }
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(ctx.get('authorization'))?.[1];
  if (basic) {
    const user = Buffer.from(basic, 'base64').toString('utf8').split(':')[0]; // never the secret after the colon
    try {
      return decodeURIComponent(user) || undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** The network side of an oidc-provider request (Koa honours X-Forwarded-For when provider.proxy is set). */
function networkOf(ctx: KoaContextWithOIDC | undefined): { ip?: string; userAgent?: string } {
  if (!ctx) {
    return {};
  }
  return { ip: ctx.ip || undefined, userAgent: ctx.get('user-agent') || undefined };
}

function errorText(err: { error?: string; error_description?: string; message?: string }): string {
  return [err.error, err.error_description].filter(Boolean).join(': ') || err.message || 'error';
}

function grantTypeOf(ctx: KoaContextWithOIDC | undefined): string | undefined {
  const grantType = ctx?.oidc?.params?.grant_type;
  return typeof grantType === 'string' ? grantType : undefined;
}

function failure(
  action: 'token' | 'login',
  ctx: KoaContextWithOIDC,
  err: { error?: string; error_description?: string; message?: string; statusCode?: number }
): AuditEntry {
  const grantType = grantTypeOf(ctx);
  return {
    action,
    outcome: 'failure',
    status: err.statusCode ?? 500,
    outcomeText: errorText(err),
    recorded: new Date(),
    agent: { clientId: requestedClientId(ctx), accountId: ctx.oidc?.account?.accountId, ...networkOf(ctx) },
    ...(grantType ? { entity: { detail: { grant_type: grantType } } } : {}),
  };
}

/**
 * Subscribes the audit log to oidc-provider's events:
 * - `access_token.saved|issued`, `client_credentials.saved|issued`: one 'token' event per access token issued, with
 *   client, account, fhirUser, scope and grant type; the request (IP, User-Agent) comes from oidc-provider's
 *   async-local context when the token is issued by the token endpoint. (`grant.success` is not recorded as well:
 *   every successful grant issues exactly one access token, so it would only duplicate these.)
 * - `grant.error`: a refused token request (bad client authentication, invalid grant or scope) → 'token' failure.
 * - `authorization.error`: a refused authorization request → 'login' failure.
 * - `server_error` on those endpoints → a serious failure.
 */
export function auditAuthorizationEvents(provider: Provider, audit: AuditLog): void {
  const tokenIssued = (token: IssuedToken): void => {
    const ctx = Provider.ctx;
    const fhirUser = token.extra?.fhirUser;
    const grantType = token.gty ?? grantTypeOf(ctx);
    const detail: Record<string, string> = {};
    if (token.scope) {
      detail.scope = token.scope;
    }
    if (grantType) {
      detail.grant_type = grantType;
    }
    audit.record({
      action: 'token',
      outcome: 'success',
      recorded: new Date(),
      agent: {
        who: typeof fhirUser === 'string' ? fhirUser : undefined,
        accountId: token.accountId,
        clientId: token.clientId,
        ...networkOf(ctx),
      },
      ...(Object.keys(detail).length > 0 ? { entity: { detail } } : {}),
    });
  };
  provider.on('access_token.saved', tokenIssued);
  provider.on('access_token.issued', tokenIssued);
  provider.on('client_credentials.saved', tokenIssued);
  provider.on('client_credentials.issued', tokenIssued);

  provider.on('grant.error', (ctx, err) => audit.record(failure('token', ctx, err)));
  provider.on('authorization.error', (ctx, err) => audit.record(failure('login', ctx, err)));
  provider.on('server_error', (ctx, err) => {
    const route = ctx?.oidc?.route;
    if (route === 'token') {
      audit.record(failure('token', ctx, { message: err.message, statusCode: 500 }));
    } else if (route === 'authorization' || route === 'resume') {
      audit.record(failure('login', ctx, { message: err.message, statusCode: 500 }));
    }
  });
}
