// Express middleware: turns `Authorization: Bearer <opaque token>` into res.locals.caller, or answers 401.
import crypto from 'node:crypto';
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
  /**
   * Which token this is, so that what outlives a request (a websocket binding) can end when the token or its grant is
   * revoked: the token's SHA-256 (tokenDigest) and its grant. Never the token itself.
   */
  token?: { digest: string; grantId?: string };
}

const FHIR_USER = /(?:^|\/)(Practitioner|Patient|RelatedPerson)\/([A-Za-z0-9\-.]{1,64})$/;

const ROLES: ReadonlySet<string> = new Set<AccountRole>(['clinician', 'patient', 'carer', 'admin']);

/** The TokenContext fields of a token's `extra`, ignoring anything malformed. */
export function tokenContextOf(extra: unknown): TokenContext {
  const source = (extra ?? {}) as Record<string, unknown>;
  const context: TokenContext = {};
  // Stored as 'Practitioner/1' (or an absolute URL ending so); callers always see the relative form.
  const fhirUser = typeof source.fhirUser === 'string' ? FHIR_USER.exec(source.fhirUser) : null;
  if (fhirUser) {
    context.fhirUser = `${fhirUser[1]}/${fhirUser[2]}`;
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
  /** False when the account behind a user token has been disabled since the token was issued. */
  accountActive?: (accountId: string) => Promise<boolean>;
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
  grantId?: string;
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
 * Recently verified tokens, so that a busy client does not cost a database lookup per request. Keyed by the
 * token's SHA-256 (so revocations can be announced to other instances without sending tokens). An entry lives at
 * most TOKEN_CACHE_MS and never past the token's expiry; revocation removes it at once on every instance that hears
 * of it (see revocationFanout.ts), and the short lifetime bounds the rest.
 */
const TOKEN_CACHE_MS = 10_000;
const TOKEN_CACHE_MAX = 10_000;
const verifiedTokens = new Map<string, { caller: Caller; grantId?: string; until: number }>();

/** The cache key of a token value. */
export function tokenDigest(value: string): string {
  return crypto.createHash('sha256').update(value).digest('base64url');
}

function cachedCaller(digest: string): Caller | undefined {
  const hit = verifiedTokens.get(digest);
  if (!hit) {
    return undefined;
  }
  if (hit.until <= Date.now()) {
    verifiedTokens.delete(digest);
    return undefined;
  }
  return hit.caller;
}

function rememberCaller(digest: string, caller: Caller, grantId: string | undefined): void {
  if (verifiedTokens.size >= TOKEN_CACHE_MAX) {
    verifiedTokens.delete(verifiedTokens.keys().next().value as string);
  }
  verifiedTokens.set(digest, {
    caller,
    grantId,
    until: Math.min(Date.now() + TOKEN_CACHE_MS, caller.expiresAt * 1000),
  });
}

/** Drops a token (by its digest, see tokenDigest) from this instance's cache of verified tokens. */
export function forgetVerifiedToken(digest: string): void {
  verifiedTokens.delete(digest);
}

/** Drops every cached token of a grant (the grant was revoked, e.g. a refresh token was reused or revoked). */
export function forgetVerifiedGrant(grantId: string): void {
  for (const [digest, entry] of verifiedTokens) {
    if (entry.grantId === grantId) {
      verifiedTokens.delete(digest);
    }
  }
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
      const digest = value ? tokenDigest(value) : undefined;
      const cached = digest ? cachedCaller(digest) : undefined;
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
      const problem =
        rejection(token, fhirBaseUrl) ??
        ((await provider.Client.find(token.clientId as string)) ? undefined : 'The client of this token was removed') ??
        (token.accountId && options.accountActive && !(await options.accountActive(token.accountId))
          ? 'The account of this token is disabled'
          : undefined);
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
        token: { digest: digest as string, ...(token.grantId ? { grantId: token.grantId } : {}) },
      };
      rememberCaller(digest as string, caller, token.grantId);
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
