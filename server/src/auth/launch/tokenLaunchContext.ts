// Launch context in tokens: the grant's context stored with each access token, and added to the token response.
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Db } from '../../db/pool.ts';
import { findGrantContext } from './launchContext.ts';

/**
 * oidc-provider's extraTokenClaims: what the token carries in `extra` (and introspection reports): the user's
 * fhirUser and role, and the launch patient and encounter. Client-credentials tokens have no grant: nothing.
 */
export async function grantContextClaims(
  db: Db,
  token: { grantId?: string; kind?: string; extra?: Record<string, unknown> }
) {
  // A token minted with its own `extra` (server-side issuance) keeps it.
  if (!token.grantId || token.kind !== 'AccessToken') {
    return token.extra;
  }
  const context = await findGrantContext(db, token.grantId);
  if (!context) {
    return token.extra;
  }
  const { fhirUser, role, patient, encounter } = context;
  return { fhirUser, role, patient, encounter };
}

/**
 * Koa middleware on the provider: a successful token response from a user grant gains the SMART launch context
 * parameters (`patient`, `encounter`, `need_patient_banner`, `smart_style_url`), which are not built into the
 * library.
 */
export function tokenResponseLaunchContext(db: Db, defaultStyleUrl: string) {
  return async function addLaunchContext(ctx: KoaContextWithOIDC, next: () => Promise<unknown>): Promise<void> {
    await next();
    if (ctx.oidc?.route !== 'token' || ctx.status !== 200) {
      return;
    }
    const body = ctx.body as Record<string, unknown> | undefined;
    const grant = ctx.oidc.entities.Grant as { jti?: string } | undefined;
    if (!body?.access_token || !grant?.jti) {
      return;
    }
    const context = await findGrantContext(db, grant.jti);
    if (!context) {
      return;
    }
    for (const key of ['patient', 'encounter', 'need_patient_banner'] as const) {
      if (context[key] !== undefined) {
        body[key] = context[key];
      }
    }
    body.smart_style_url = context.smart_style_url ?? defaultStyleUrl;
  };
}
