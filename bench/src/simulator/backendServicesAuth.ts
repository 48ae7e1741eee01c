// The simulated gateway's SMART backend-services identity: a private_key_jwt client, its signed assertions and tokens.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { GATEWAY_SCOPES, gatewayClientRegistration } from '../../../server/src/devices/gatewayClientRegistration.ts';
import type { FhirClient } from '../fhirClient.ts';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** A registered client and the private key it signs with (EC P-384 → ES384, RSA → RS384). */
export interface GatewayIdentity {
  clientId: string;
  privateKeyPem: string;
  /** The key's id in the registered JWKS; omitted from the assertion when unknown. */
  kid?: string;
}

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

/** A client assertion JWT (RFC 7523) for the token endpoint, signed with node:crypto. */
export function clientAssertion(identity: GatewayIdentity, tokenUrl: string, nowSeconds = Date.now() / 1000): string {
  const key = crypto.createPrivateKey(identity.privateKeyPem);
  const ec = key.asymmetricKeyType === 'ec';
  if (!ec && key.asymmetricKeyType !== 'rsa') {
    throw new Error(`the gateway key must be EC P-384 or RSA, not ${key.asymmetricKeyType}`);
  }
  const header = { alg: ec ? 'ES384' : 'RS384', typ: 'JWT', ...(identity.kid ? { kid: identity.kid } : {}) };
  const iat = Math.floor(nowSeconds);
  const claims = {
    iss: identity.clientId,
    sub: identity.clientId,
    aud: tokenUrl,
    jti: crypto.randomUUID(),
    iat,
    exp: iat + 300,
  };
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  const signature = crypto.sign('sha384', Buffer.from(signingInput), ec ? { key, dsaEncoding: 'ieee-p1363' } : key);
  return `${signingInput}.${base64url(signature)}`;
}

/** Registers a new ES384 gateway client through `POST /admin/clients` with the admin client's token. */
export async function registerGateway(admin: FhirClient, clientName: string): Promise<GatewayIdentity> {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-384' });
  const clientId = `rpm-simulated-gateway-${crypto.randomBytes(4).toString('hex')}`;
  const kid = `${clientId}-1`;
  const response = await fetch(`${admin.serverUrl}/admin/clients`, {
    method: 'POST',
    headers: { authorization: await admin.authorizationHeader(), 'content-type': 'application/json' },
    body: JSON.stringify(
      gatewayClientRegistration(clientId, clientName, publicKey.export({ format: 'jwk' }), kid, 'ES384')
    ),
  });
  if (response.status !== 201) {
    throw new Error(
      `registering the gateway client: POST /admin/clients answered ${response.status}: ${await response.text()}`
    );
  }
  return { clientId, kid, privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }) as string };
}

/** The saved identity for this server, if one was saved before. */
export function readSavedGateway(file: string, serverUrl: string): GatewayIdentity | undefined {
  if (!fs.existsSync(file)) return undefined;
  const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<Record<string, GatewayIdentity>>;
  return saved[serverUrl];
}

/** Saves the identity (private key included) for this server, readable by the owner only. */
export function saveGateway(file: string, serverUrl: string, identity: GatewayIdentity): void {
  const saved = fs.existsSync(file)
    ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, GatewayIdentity>)
    : {};
  saved[serverUrl] = identity;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(saved, null, 2), { mode: 0o600 });
}

/** Tokens for the gateway: client_credentials with a fresh signed assertion, renewed at half their lifetime. */
export class GatewayTokens {
  private accessToken: string | undefined;
  private refreshAtMs = 0;
  private readonly identity: GatewayIdentity;
  private readonly tokenUrl: string;

  constructor(identity: GatewayIdentity, tokenUrl: string) {
    this.identity = identity;
    this.tokenUrl = tokenUrl;
  }

  async authorizationHeader(): Promise<string> {
    if (!this.accessToken || Date.now() >= this.refreshAtMs) {
      const response = await fetch(this.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          scope: GATEWAY_SCOPES,
          client_assertion_type: JWT_BEARER,
          client_assertion: clientAssertion(this.identity, this.tokenUrl),
        }),
        signal: AbortSignal.timeout(30_000),
      });
      const text = await response.text();
      if (response.status !== 200) {
        throw new Error(`gateway token: POST ${this.tokenUrl} answered ${response.status}: ${text.slice(0, 300)}`);
      }
      const body = JSON.parse(text) as { access_token: string; expires_in?: number };
      this.accessToken = body.access_token;
      this.refreshAtMs = Date.now() + ((body.expires_in ?? 3600) * 1000) / 2;
    }
    return `Bearer ${this.accessToken}`;
  }
}

/** The token endpoint from the server's SMART configuration. */
export async function discoverTokenUrl(serverUrl: string): Promise<string> {
  const response = await fetch(`${serverUrl}/fhir/R4/.well-known/smart-configuration`, {
    signal: AbortSignal.timeout(30_000),
  });
  if (!response.ok) {
    throw new Error(`GET ${serverUrl}/fhir/R4/.well-known/smart-configuration answered ${response.status}`);
  }
  const config = (await response.json()) as { token_endpoint?: string };
  if (!config.token_endpoint) {
    throw new Error('the SMART configuration names no token_endpoint');
  }
  return config.token_endpoint;
}
