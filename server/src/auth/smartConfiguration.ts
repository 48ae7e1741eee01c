// The SMART App Launch discovery document served at <FHIR base>/.well-known/smart-configuration.
import { SMART_STATIC_SCOPES } from './fhirResourceServer.ts';

export interface SmartEndpoints {
  issuer: string;
  fhirBaseUrl: string;
}

/** SMART App Launch 2.x section 2.1 (well-known/smart-configuration), describing what this server really does. */
export function smartConfiguration({ issuer, fhirBaseUrl }: SmartEndpoints): Record<string, unknown> {
  return {
    issuer,
    jwks_uri: `${issuer}/jwks`,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    introspection_endpoint: `${issuer}/introspect`,
    revocation_endpoint: `${issuer}/revoke`,
    registration_endpoint: `${issuer}/reg`,
    management_endpoint: `${issuer}/ehr-launcher`,
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
    response_types_supported: ['code'],
    token_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt'],
    token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384', 'RS256', 'ES256'],
    code_challenge_methods_supported: ['S256'],
    scopes_supported: [
      ...SMART_STATIC_SCOPES,
      'patient/*.rs',
      'patient/*.cruds',
      'patient/*.read',
      'patient/*.write',
      'user/*.rs',
      'user/*.cruds',
      'user/*.read',
      'user/*.write',
      'system/*.rs',
      'system/*.cruds',
      'system/*.read',
      'system/*.write',
    ],
    capabilities: [
      'launch-ehr',
      'launch-standalone',
      'authorize-post',
      'client-public',
      'client-confidential-symmetric',
      'client-confidential-asymmetric',
      'context-passthrough-banner',
      'context-passthrough-style',
      'context-ehr-patient',
      'context-ehr-encounter',
      'context-standalone-patient',
      'sso-openid-connect',
      'permission-offline',
      'permission-online',
      'permission-patient',
      'permission-user',
      'permission-v1',
      'permission-v2',
    ],
    fhir_base: fhirBaseUrl,
  };
}
