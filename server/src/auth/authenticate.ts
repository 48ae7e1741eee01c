// Express middleware: turns `Authorization: Bearer <opaque token>` into res.locals.caller, or answers 401.
import type { OperationOutcome } from '@medplum/fhirtypes';
import type { RequestHandler, Response } from 'express';
import type Provider from 'oidc-provider';
import { splitScopes } from './smartScopes.ts';

/** The kinds of account a person signs in with; each gets a different reach over patient data. */
export type AccountRole = 'clinician' | 'patient' | 'carer' | 'admin';

/**
 * What a user token carries besides its scopes, stored in the token's `extra` when it is issued (and reported by
 * introspection): the account's FHIR identity and role, and the SMART launch context.
 */
export interface TokenContext {
  /** The account's FHIR resource: 'Practitioner/…' (clinicians, admins), 'Patient/…', 'RelatedPerson/…'. */
  fhirUser?: string;
  role?: AccountRole;
  /** Launch context: the Patient id the app was launched for (SMART `patient`). */
  patient?: string;
  /** Launch context: the Encounter id (SMART `encounter`). */
  encounter?: string;
}

/** Who is calling the FHIR API, as far as its token says. */
export interface Caller extends TokenContext {
  clientId: string;
  /** The granted SMART scopes, e.g. ['system/Observation.rs']. */
  scopes: string[];
  /** The account behind the token; absent for client_credentials (system) tokens. */
  subject?: string;
  /** Token expiry, seconds since the epoch. */
  expiresAt: number;
}

const ROLES: ReadonlySet<string> = new Set<AccountRole>(['clinician', 'patient', 'carer', 'admin']);

/** The TokenContext fields of a token's `extra`, ignoring anything malformed. */
export function tokenContextOf(extra: unknown): TokenContext {
  const source = (extra ?? {}) as Record<string, unknown>;
  const context: TokenContext = {};
  if (typeof source.fhirUser === 'string') {
    context.fhirUser = source.fhirUser;
  }
  if (typeof source.role === 'string' && ROLES.has(source.role)) {
    context.role = source.role as AccountRole;
  }
  if (typeof source.patient === 'string') {
    context.patient = source.patient;
  }
  if (typeof source.encounter === 'string') {
    context.encounter = source.encounter;
  }
  return context;
}

declare module 'express-serve-static-core' {
  interface Locals {
    /** Set by the authenticate middleware. */
    caller?: Caller;
  }
}

export interface AuthenticateOptions {
  provider: Provider;
  /** Tokens must have been issued for this audience (the FHIR base URL); also the WWW-Authenticate realm. */
  fhirBaseUrl: string;
}

/** RFC 6750 b64token. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

type TokenLike = {
  clientId?: string;
  scope?: string;
  accountId?: string;
  aud?: string | string[];
  exp?: number;
  extra?: Record<string, unknown>;
  isExpired: boolean;
  jkt?: string;
  'x5t#S256'?: string;
};

function quoted(value: string): string {
  return `"${value.replace(/["\\]/g, '')}"`;
}

/** A 401 (or 403) with a Bearer challenge and an OperationOutcome body. */
export function sendBearerChallenge(
  res: Response,
  realm: string,
  status: 401 | 403,
  error: 'invalid_token' | 'insufficient_scope' | undefined,
  text: string
): void {
  const challenge = [`realm=${quoted(realm)}`];
  if (error) {
    challenge.push(`error=${quoted(error)}`, `error_description=${quoted(text)}`);
  }
  const outcome: OperationOutcome = {
    resourceType: 'OperationOutcome',
    issue: [{ severity: 'error', code: status === 401 ? 'login' : 'forbidden', details: { text } }],
  };
  res
    .status(status)
    .set('WWW-Authenticate', `Bearer ${challenge.join(', ')}`)
    .type('application/fhir+json; charset=utf-8')
    .send(JSON.stringify(outcome));
}

/** Why a found token may not be used here, or undefined when it may. */
function rejection(token: TokenLike, audience: string): string | undefined {
  if (token.isExpired) {
    return 'The access token has expired';
  }
  const aud = Array.isArray(token.aud) ? token.aud : [token.aud];
  if (!aud.includes(audience)) {
    return 'The access token was not issued for this server';
  }
  // DPoP and mTLS bound tokens need proof of possession, which this middleware does not check.
  if (token.jkt || token['x5t#S256']) {
    return 'Sender-constrained access tokens are not supported';
  }
  if (!token.clientId) {
    return 'The access token has no client';
  }
  return undefined;
}

/** System (client_credentials) tokens and (next issue) user tokens are separate models; devices use the first. */
async function findToken(provider: Provider, value: string): Promise<TokenLike | undefined> {
  return ((await provider.ClientCredentials.find(value)) ?? (await provider.AccessToken.find(value))) as
    TokenLike | undefined;
}

/**
 * Recently verified tokens, so that a busy client does not cost a database lookup per request. An entry lives at
 * most TOKEN_CACHE_MS (and never past the token's expiry): a token revoked on another instance stops working within
 * that time; on this instance forgetVerifiedToken() makes it immediate.
 */
const TOKEN_CACHE_MS = 10_000;
const TOKEN_CACHE_MAX = 10_000;
const verifiedTokens = new Map<string, { caller: Caller; until: number }>();

function cachedCaller(value: string): Caller | undefined {
  const hit = verifiedTokens.get(value);
  if (!hit) {
    return undefined;
  }
  if (hit.until <= Date.now()) {
    verifiedTokens.delete(value);
    return undefined;
  }
  return hit.caller;
}

function rememberCaller(value: string, caller: Caller): void {
  if (verifiedTokens.size >= TOKEN_CACHE_MAX) {
    verifiedTokens.delete(verifiedTokens.keys().next().value as string);
  }
  verifiedTokens.set(value, { caller, until: Math.min(Date.now() + TOKEN_CACHE_MS, caller.expiresAt * 1000) });
}

/** Drops a token from this instance's cache of verified tokens (call on revocation). */
export function forgetVerifiedToken(value: string): void {
  verifiedTokens.delete(value);
}

export function createAuthenticate(options: AuthenticateOptions): RequestHandler {
  const { provider, fhirBaseUrl } = options;
  return async function authenticate(req, res, next) {
    try {
      const header = req.headers.authorization;
      if (!header || !/^Bearer\b/i.test(header)) {
        sendBearerChallenge(
          res,
          fhirBaseUrl,
          401,
          undefined,
          'Authentication required: send an OAuth 2.0 bearer token'
        );
        return;
      }
      const value = BEARER.exec(header)?.[1];
      const cached = value ? cachedCaller(value) : undefined;
      if (cached) {
        res.locals.caller = cached;
        next();
        return;
      }
      const token = value ? await findToken(provider, value) : undefined;
      if (!token) {
        sendBearerChallenge(res, fhirBaseUrl, 401, 'invalid_token', 'The access token is invalid, expired or revoked');
        return;
      }
      const problem = rejection(token, fhirBaseUrl);
      if (problem) {
        sendBearerChallenge(res, fhirBaseUrl, 401, 'invalid_token', problem);
        return;
      }
      const caller: Caller = {
        ...(token.accountId ? tokenContextOf(token.extra) : {}),
        clientId: token.clientId as string,
        scopes: splitScopes(token.scope),
        ...(token.accountId ? { subject: token.accountId } : {}),
        expiresAt: token.exp ?? 0,
      };
      rememberCaller(value as string, caller);
      res.locals.caller = caller;
      next();
    } catch (err) {
      next(err);
    }
  };
}

/** The caller set by authenticate; throws when the route was mounted without it (a programming error). */
export function getCaller(res: Response): Caller {
  const caller = res.locals.caller;
  if (!caller) {
    throw new Error('No authenticated caller: mount the authenticate middleware before this handler');
  }
  return caller;
}
