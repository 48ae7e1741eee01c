// Sign-in through upstream OpenID Connect providers (NHS login for patients, NHS CIS2 for staff), with PKCE and nonce.
import express, { type Request, type Response } from 'express';
import * as oidc from 'openid-client';
import type Provider from 'oidc-provider';
import type { UpstreamProviderConfig } from '../../config.ts';
import type { Db } from '../../db/pool.ts';
import type { UpstreamButton } from '../interactions/pages.ts';
import type { LoginEvent } from '../interactions/routes.ts';
import { problemPage } from '../interactions/pages.ts';
import { sendPage } from '../pages/layout.ts';
import { matchUpstreamAccount } from './accountMatching.ts';

export interface UpstreamLoginOptions {
  provider: Provider;
  pool: Db;
  /** Our issuer (…/oauth2): the callback is <issuer>/upstream/callback, registered at each upstream provider. */
  issuer: string;
  providers: UpstreamProviderConfig[];
  onLogin?: (event: LoginEvent) => void;
}

export interface UpstreamLogin {
  buttons(): UpstreamButton[];
  /** Mounted at /oauth2/interaction: starts and finishes an upstream sign-in inside an interaction. */
  interactionRouter: express.Router;
  /** Mounted at /oauth2: the redirect URI registered at the upstream providers. */
  callbackRouter: express.Router;
}

/** The upstream sign-in must come back within this time. */
const PENDING_TTL_SECONDS = 10 * 60;

export function createUpstreamLogin(options: UpstreamLoginOptions): UpstreamLogin {
  const { provider, pool, issuer } = options;
  const byId = new Map(options.providers.map((p) => [p.id, p]));
  const callbackUrl = `${issuer}/upstream/callback`;
  const discovered = new Map<string, Promise<oidc.Configuration>>();

  /** The upstream's discovery document, read once (and again after a failure). */
  function configurationOf(upstream: UpstreamProviderConfig): Promise<oidc.Configuration> {
    let pending = discovered.get(upstream.id);
    if (!pending) {
      const url = new URL(upstream.issuer);
      pending = oidc.discovery(
        url,
        upstream.clientId,
        undefined,
        oidc.ClientSecretBasic(upstream.clientSecret),
        // Plain http only on loopback (tests and local development); real providers are https.
        url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)
          ? { execute: [oidc.allowInsecureRequests] }
          : undefined
      );
      pending.catch(() => discovered.delete(upstream.id));
      discovered.set(upstream.id, pending);
    }
    return pending;
  }

  function audit(req: Request, event: Omit<LoginEvent, 'ip' | 'userAgent'>) {
    options.onLogin?.({ ...event, ip: req.ip, userAgent: String(req.headers['user-agent'] ?? '').slice(0, 300) });
  }

  const interactionRouter = express.Router();
  // GET /oauth2/interaction/:uid/upstream/:provider: off to the upstream provider.
  interactionRouter.get('/:uid/upstream/:provider', async (req, res, next) => {
    try {
      const details = await provider.interactionDetails(req, res).catch(() => undefined);
      const upstream = byId.get(String(req.params.provider));
      if (!details || details.uid !== req.params.uid || !upstream) {
        sendPage(res, problemPage('Your sign-in has expired', 'This sign-in page is no longer valid.'), 400);
        return;
      }
      const config = await configurationOf(upstream);
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      await pool.query(
        `INSERT INTO smart_upstream_login (state, interaction_uid, provider_id, code_verifier, nonce, expires_at)
         VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6))`,
        [state, details.uid, upstream.id, verifier, nonce, PENDING_TTL_SECONDS]
      );
      const target = oidc.buildAuthorizationUrl(config, {
        redirect_uri: callbackUrl,
        scope: upstream.scope ?? 'openid email',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      });
      res.redirect(303, target.toString());
    } catch (err) {
      next(err);
    }
  });

  // GET /oauth2/interaction/:uid/upstream-done: the upstream answered; finish the login prompt as that account.
  interactionRouter.get('/:uid/upstream-done', async (req, res, next) => {
    try {
      const details = await provider.interactionDetails(req, res).catch(() => undefined);
      const state = String(req.query.state ?? '');
      const { rows } = await pool.query(
        `DELETE FROM smart_upstream_login WHERE state = $1 AND interaction_uid = $2 AND account_id IS NOT NULL
         AND expires_at > now() RETURNING account_id, provider_id`,
        [state, req.params.uid]
      );
      if (!details || details.uid !== req.params.uid || !rows[0]) {
        sendPage(res, problemPage('Your sign-in has expired', 'This sign-in is no longer valid.'), 400);
        return;
      }
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: rows[0].account_id, amr: ['fed'], remember: false } },
        { mergeWithLastSubmission: false }
      );
    } catch (err) {
      next(err);
    }
  });

  const callbackRouter = express.Router();
  // GET /oauth2/upstream/callback?code&state: exchange the code, check the ID token, find the account.
  callbackRouter.get('/upstream/callback', async (req: Request, res: Response, next) => {
    try {
      const state = String(req.query.state ?? '');
      const { rows } = await pool.query(
        `SELECT interaction_uid, provider_id, code_verifier, nonce FROM smart_upstream_login
         WHERE state = $1 AND account_id IS NULL AND expires_at > now()`,
        [state]
      );
      const pending = rows[0] as
        { interaction_uid: string; provider_id: string; code_verifier: string; nonce: string } | undefined;
      const upstream = pending ? byId.get(pending.provider_id) : undefined;
      if (!pending || !upstream) {
        sendPage(res, problemPage('Your sign-in has expired', 'Start again from the app you were using.'), 400);
        return;
      }
      if (req.query.error) {
        audit(req, { outcome: 'failure', reason: `${upstream.label}: ${String(req.query.error).slice(0, 100)}` });
        sendPage(res, problemPage('Sign-in was not completed', `${upstream.label} did not sign you in.`), 401);
        return;
      }
      const config = await configurationOf(upstream);
      const current = new URL(req.originalUrl, callbackUrl);
      let claims: Record<string, unknown>;
      try {
        const tokens = await oidc.authorizationCodeGrant(config, current, {
          pkceCodeVerifier: pending.code_verifier,
          expectedState: state,
          expectedNonce: pending.nonce,
          idTokenExpected: true,
        });
        claims = (tokens.claims() ?? {}) as Record<string, unknown>;
      } catch (err) {
        audit(req, { outcome: 'failure', reason: `${upstream.label}: ${(err as Error).message.slice(0, 200)}` });
        sendPage(
          res,
          problemPage('Sign-in was not completed', `The answer from ${upstream.label} was not valid.`),
          401
        );
        return;
      }
      const match = await matchUpstreamAccount(pool, upstream, claims);
      if (!match.account) {
        audit(req, { outcome: 'failure', reason: `${upstream.label}: ${match.reason}` });
        sendPage(res, problemPage('We could not find your account', match.message), 403);
        return;
      }
      audit(req, {
        outcome: 'success',
        accountId: match.account.id,
        fhirUser: match.account.fhirUser,
        reason: `signed in with ${upstream.label}`,
      });
      await pool.query('UPDATE smart_upstream_login SET account_id = $2 WHERE state = $1', [state, match.account.id]);
      res.redirect(
        303,
        `${new URL(issuer).pathname}/interaction/${encodeURIComponent(pending.interaction_uid)}/upstream-done?state=${encodeURIComponent(state)}`
      );
    } catch (err) {
      next(err);
    }
  });

  return {
    buttons: () => options.providers.map((p) => ({ id: p.id, label: p.label })),
    interactionRouter,
    callbackRouter,
  };
}
