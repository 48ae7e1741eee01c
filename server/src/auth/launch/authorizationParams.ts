// SMART checks on authorization request parameters: `aud` must name this FHIR server, `launch` a live EHR context.
import { errors, type KoaContextWithOIDC } from 'oidc-provider';
import type { Db } from '../../db/pool.ts';
import { findLaunch } from './launchContext.ts';

/** Only the authorization endpoint carries these; other routes (token, PAR) pass them through untouched. */
function isAuthorization(ctx: KoaContextWithOIDC): boolean {
  return ctx.oidc.route === 'authorization';
}

/**
 * SMART App Launch: the app names the FHIR server it wants a token for in `aud`; a server that is not that resource
 * server must refuse (so a token can never be phished for another server).
 */
export function checkAudience(ctx: KoaContextWithOIDC, value: unknown, fhirBaseUrl: string): void {
  if (!isAuthorization(ctx)) {
    return;
  }
  if (typeof value !== 'string' || value === '') {
    throw new errors.InvalidRequest(`aud is required: set it to the FHIR base URL ${fhirBaseUrl}`);
  }
  if (value.replace(/\/+$/, '') !== fhirBaseUrl) {
    throw new errors.InvalidRequest(`aud ${value} is not this server's FHIR base URL (${fhirBaseUrl})`);
  }
}

/** EHR launch: `launch` must be a context created through POST /oauth2/launch that has not expired. */
export async function checkLaunch(ctx: KoaContextWithOIDC, value: unknown, db: Db): Promise<void> {
  if (!isAuthorization(ctx) || value === undefined) {
    return;
  }
  if (typeof value !== 'string' || !(await findLaunch(db, value))) {
    throw new errors.InvalidRequest('launch is unknown or has expired: start the app again from the EHR');
  }
}

/** SMART App Launch requires `state` on every authorization request (it protects the app against CSRF). */
export function checkState(ctx: KoaContextWithOIDC, value: unknown): void {
  if (isAuthorization(ctx) && (typeof value !== 'string' || value.length === 0)) {
    throw new errors.InvalidRequest('state is required (SMART App Launch)');
  }
}
