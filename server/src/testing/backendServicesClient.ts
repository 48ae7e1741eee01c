// Test helper: registers a device gateway's backend-services client (private_key_jwt, ES384, jose) and gets its tokens.
import crypto, { type JsonWebKey } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { gatewayClientRegistration } from '../devices/gatewayClientRegistration.ts';
import type { RunningServer } from '../server.ts';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export interface BackendServicesClient {
  clientId: string;
  /** A fresh token for `scope` through client_credentials with a signed client assertion; throws unless 200. */
  token(scope: string): Promise<{ access_token: string; scope: string }>;
}

/** Registers a gateway client (GATEWAY_SCOPES) through `POST /admin/clients` with the admin token, as an admin would. */
export async function registerBackendServicesClient(
  server: RunningServer,
  adminToken: string,
  clientName = 'Test device gateway'
): Promise<BackendServicesClient> {
  const { publicKey, privateKey } = await generateKeyPair('ES384', { extractable: true });
  const clientId = `gateway-${crypto.randomBytes(4).toString('hex')}`;
  const kid = `${clientId}-key-1`;
  const registration = await fetch(`${server.baseUrl}/admin/clients`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(
      gatewayClientRegistration(clientId, clientName, (await exportJWK(publicKey)) as JsonWebKey, kid, 'ES384')
    ),
  });
  if (registration.status !== 201) {
    throw new Error(`POST /admin/clients answered ${registration.status}: ${await registration.text()}`);
  }
  return { clientId, token: (scope) => backendServicesToken(server, clientId, kid, privateKey, scope) };
}

async function backendServicesToken(
  server: RunningServer,
  clientId: string,
  kid: string,
  privateKey: CryptoKey,
  scope: string
): Promise<{ access_token: string; scope: string }> {
  const assertion = await new SignJWT({})
    .setProtectedHeader({ alg: 'ES384', kid, typ: 'JWT' })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(server.tokenUrl)
    .setJti(crypto.randomUUID())
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(privateKey);
  const response = await fetch(server.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      scope,
      client_assertion_type: JWT_BEARER,
      client_assertion: assertion,
    }),
  });
  const body = (await response.json()) as { access_token: string; scope: string };
  if (response.status !== 200) {
    throw new Error(`POST ${server.tokenUrl} answered ${response.status}: ${JSON.stringify(body)}`);
  }
  return body;
}
