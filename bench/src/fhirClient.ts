// Minimal FHIR REST client for the bench: client-credentials token, transaction POST with strict checks, GET.
import type { Bundle } from '@medplum/fhirtypes';

export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
}

/** What came back for one transaction bundle; `error` is set unless every entry was created. */
export interface TransactionOutcome {
  created: number;
  /** "ResourceType/id" of each created entry, in bundle order. */
  references: string[];
  error?: string;
}

const REQUEST_TIMEOUT_MS = 120_000;

/** "Observation/abc" from a location such as "Observation/abc/_history/1" or an absolute URL. */
export function referenceFromLocation(location: string): string | undefined {
  const match = /(?:^|\/)([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?\/?$/.exec(location);
  return match ? `${match[1]}/${match[2]}` : undefined;
}

/** Checks a transaction-response: one entry per request, each 201 with a location. */
export function checkTransactionResponse(status: number, text: string, expectedEntries: number): TransactionOutcome {
  if (status !== 200) {
    return { created: 0, references: [], error: `HTTP ${status}: ${text.slice(0, 300)}` };
  }
  let bundle: Bundle;
  try {
    bundle = JSON.parse(text) as Bundle;
  } catch {
    return { created: 0, references: [], error: `response is not JSON: ${text.slice(0, 300)}` };
  }
  if (bundle.resourceType !== 'Bundle' || bundle.type !== 'transaction-response') {
    return {
      created: 0,
      references: [],
      error: `expected a transaction-response Bundle, got ${bundle.resourceType}/${bundle.type}`,
    };
  }
  const entries = bundle.entry ?? [];
  const references: string[] = [];
  for (const entry of entries) {
    const reference = entry.response?.location ? referenceFromLocation(entry.response.location) : undefined;
    if (entry.response?.status?.startsWith('201') && reference) {
      references.push(reference);
    }
  }
  if (entries.length !== expectedEntries || references.length !== expectedEntries) {
    const firstBad = entries.find((entry) => !entry.response?.status?.startsWith('201'));
    return {
      created: references.length,
      references,
      error:
        `${entries.length} entries, ${references.length} created with a location, expected ${expectedEntries}` +
        (firstBad ? `; first other status: ${firstBad.response?.status}` : ''),
    };
  }
  return { created: references.length, references };
}

export class FhirClient {
  readonly serverUrl: string;
  readonly fhirBaseUrl: string;
  private readonly credentials: ClientCredentials;
  private accessToken: string | undefined;
  private refreshAtMs = 0;

  constructor(serverUrl: string, credentials: ClientCredentials) {
    this.serverUrl = serverUrl.replace(/\/+$/, '');
    this.fhirBaseUrl = `${this.serverUrl}/fhir/R4`;
    this.credentials = credentials;
  }

  /** A bearer token, fetched again once half its lifetime has passed. */
  async token(): Promise<string> {
    if (this.accessToken && Date.now() < this.refreshAtMs) {
      return this.accessToken;
    }
    const basic = Buffer.from(`${this.credentials.clientId}:${this.credentials.clientSecret}`).toString('base64');
    const response = await fetch(`${this.serverUrl}/oauth2/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&scope=system/*.*',
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await response.text();
    if (response.status !== 200) {
      throw new Error(`POST /oauth2/token answered ${response.status}: ${text.slice(0, 300)}`);
    }
    const body = JSON.parse(text) as { access_token?: string; expires_in?: number };
    if (!body.access_token) {
      throw new Error(`POST /oauth2/token returned no access_token: ${text.slice(0, 300)}`);
    }
    this.accessToken = body.access_token;
    this.refreshAtMs = Date.now() + ((body.expires_in ?? 3600) * 1000) / 2;
    return this.accessToken;
  }

  async authorizationHeader(): Promise<string> {
    return `Bearer ${await this.token()}`;
  }

  /** POSTs a serialised transaction Bundle and checks every entry was created. Never throws for HTTP failures. */
  async postTransaction(body: string, expectedEntries: number): Promise<TransactionOutcome> {
    try {
      const response = await fetch(`${this.fhirBaseUrl}/`, {
        method: 'POST',
        headers: {
          authorization: await this.authorizationHeader(),
          'content-type': 'application/fhir+json',
          accept: 'application/fhir+json',
        },
        body,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      return checkTransactionResponse(response.status, await response.text(), expectedEntries);
    } catch (err) {
      return { created: 0, references: [], error: `request failed: ${(err as Error).message}` };
    }
  }

  /** GET a path under the FHIR base (starting with "/"); returns status and parsed JSON (undefined if not JSON). */
  async get(path: string): Promise<{ status: number; json: unknown; text: string }> {
    const response = await fetch(`${this.fhirBaseUrl}${path}`, {
      headers: { authorization: await this.authorizationHeader(), accept: 'application/fhir+json' },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, json, text };
  }
}
