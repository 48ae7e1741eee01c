// What an app may register for itself through open dynamic registration (RFC 7591): user-facing access only.
import { errors } from 'oidc-provider';
import { parseSmartScope, splitScopes } from './smartScopes.ts';

/** Scopes a self-registered app gets when it names none. */
export const DEFAULT_REGISTERED_SCOPES = 'patient/*.rs user/*.rs';

/**
 * Self-registered apps act only for a signed-in user, who approves them on the consent page:
 * - no client secrets (public clients with PKCE, or private_key_jwt with their own keys), since secrets would be
 *   stored in clear by the registration endpoint;
 * - no client_credentials grant and no system/ scopes (backend access is registered by an administrator);
 * - none of our own trust flags (first-party, introspection).
 * Applied from the fhir_scopes validator, which oidc-provider calls with the whole client metadata.
 */
export function applyRegistrationPolicy(metadata: Record<string, unknown>): void {
  const method = metadata.token_endpoint_auth_method ?? 'client_secret_basic';
  if (method !== 'none' && method !== 'private_key_jwt') {
    throw new errors.InvalidClientMetadata(
      'token_endpoint_auth_method must be none (with PKCE) or private_key_jwt for self-registered apps'
    );
  }
  const grants = (metadata.grant_types as string[] | undefined) ?? ['authorization_code'];
  if (grants.includes('client_credentials')) {
    throw new errors.InvalidClientMetadata(
      'client_credentials cannot be self-registered: ask an administrator to register a backend service'
    );
  }
  if (metadata.rpm_first_party !== undefined || metadata.rpm_introspect !== undefined) {
    throw new errors.InvalidClientMetadata('rpm_first_party and rpm_introspect are set by administrators only');
  }
  const requested = metadata.fhir_scopes === undefined ? DEFAULT_REGISTERED_SCOPES : metadata.fhir_scopes;
  if (typeof requested !== 'string') {
    throw new errors.InvalidClientMetadata('fhir_scopes must be a space-separated list of SMART scopes');
  }
  if (splitScopes(requested).some((scope) => parseSmartScope(scope)?.context === 'system')) {
    throw new errors.InvalidClientMetadata('system/ scopes cannot be self-registered');
  }
  metadata.fhir_scopes = requested;
}
