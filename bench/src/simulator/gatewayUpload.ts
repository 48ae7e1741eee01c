// Posts one PHD gateway transaction bundle with the gateway's token and counts what it created and what it found.
import type { Bundle } from '@medplum/fhirtypes';
import type { GatewayTokens } from './backendServicesAuth.ts';

export interface UploadResult {
  /** Readings the server created (201). */
  created: number;
  /** Readings it already had (200): resent after an upload whose answer was lost. */
  existing: number;
  error?: string;
}

/** Entries before the readings in a PHD gateway bundle: the Patient and the Device. */
const LEADING_ENTRIES = 2;

/** Counts the readings' statuses in a transaction-response; any other answer is an error. */
export function uploadResult(status: number, text: string, expectedEntries: number): UploadResult {
  if (status !== 200) {
    return { created: 0, existing: 0, error: `HTTP ${status}: ${text.slice(0, 300)}` };
  }
  const bundle = JSON.parse(text) as Bundle;
  const statuses = (bundle.entry ?? []).map((entry) => entry.response?.status ?? '');
  if (bundle.type !== 'transaction-response' || statuses.length !== expectedEntries) {
    return { created: 0, existing: 0, error: `expected a transaction-response of ${expectedEntries} entries` };
  }
  if (!statuses.every((s) => s.startsWith('201') || s.startsWith('200'))) {
    return { created: 0, existing: 0, error: `unexpected entry statuses: ${statuses.join(', ')}` };
  }
  const readings = statuses.slice(LEADING_ENTRIES);
  return {
    created: readings.filter((s) => s.startsWith('201')).length,
    existing: readings.filter((s) => s.startsWith('200')).length,
  };
}

export async function postGatewayBundle(
  fhirBaseUrl: string,
  tokens: GatewayTokens,
  bundle: Bundle
): Promise<UploadResult> {
  try {
    const response = await fetch(`${fhirBaseUrl}/`, {
      method: 'POST',
      headers: {
        authorization: await tokens.authorizationHeader(),
        'content-type': 'application/fhir+json',
        accept: 'application/fhir+json',
      },
      body: JSON.stringify(bundle),
      signal: AbortSignal.timeout(60_000),
    });
    return uploadResult(response.status, await response.text(), bundle.entry?.length ?? 0);
  } catch (err) {
    return { created: 0, existing: 0, error: `request failed: ${(err as Error).message}` };
  }
}
