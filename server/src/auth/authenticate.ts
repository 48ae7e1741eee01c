// Express middleware: turns `Authorization: Bearer <opaque token>` into res.locals.caller, or answers 401.
import type { OperationOutcome } from '@medplum/fhirtypes';
import type { RequestHandler, Response } from 'express';
import type Provider from 'oidc-provider';
import { splitScopes } from './smartScopes.ts';

/** Who is calling the FHIR API, as far as its token says. */
export interface Caller {
  clientId: string;
  /** The granted SMART scopes, e.g. ['system/Observation.rs']. */
  scopes: string[];
  /** The account behind the token; absent for client_credentials (system) tokens. */
  subject?: string;
  /** Token expiry, seconds since the epoch. */
  expiresAt: number;
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
      res.locals.caller = {
        clientId: token.clientId as string,
        scopes: splitScopes(token.scope),
        ...(token.accountId ? { subject: token.accountId } : {}),
        expiresAt: token.exp ?? 0,
      };
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
