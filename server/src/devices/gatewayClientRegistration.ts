// The client metadata an administrator registers for a device gateway: SMART backend services with private_key_jwt.
import type { JsonWebKey } from 'node:crypto';

/** What a gateway needs: find or create patients and devices, create and find readings. */
export const GATEWAY_SCOPES = 'system/Patient.crs system/Device.crs system/Observation.crs';

/** `POST /admin/clients` body for a gateway that signs its client assertions with `publicJwk`'s private key. */
export function gatewayClientRegistration(
  clientId: string,
  clientName: string,
  publicJwk: JsonWebKey,
  kid: string,
  alg: 'ES384' | 'RS384'
): Record<string, unknown> {
  return {
    client_id: clientId,
    client_name: clientName,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: alg,
    jwks: { keys: [{ ...publicJwk, kid, alg, use: 'sig' }] },
    fhir_scopes: GATEWAY_SCOPES,
  };
}
