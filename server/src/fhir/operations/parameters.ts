// Reads operation input parameters from a request's query string and from a Parameters body (R4 operations framework).
import { badRequest, OperationOutcomeError } from '@medplum/core';
import type { FhirRequest } from '@medplum/fhir-router';
import type { Parameters, ParametersParameter, Resource } from '@medplum/fhirtypes';

/** True when `body` is a Parameters resource. */
export function isParameters(body: unknown): body is Parameters {
  return !!body && typeof body === 'object' && (body as Resource).resourceType === 'Parameters';
}

function findParameter(body: Parameters | undefined, name: string): ParametersParameter | undefined {
  return body?.parameter?.find((p) => p.name === name);
}

/** A primitive parameter: from the Parameters body (any value[x]) first, then from the query string. */
export function getStringParameter(req: FhirRequest, body: Parameters | undefined, name: string): string | undefined {
  const parameter = findParameter(body, name);
  if (parameter) {
    for (const [key, value] of Object.entries(parameter)) {
      if (key.startsWith('value') && (typeof value === 'string' || typeof value === 'number')) {
        return String(value);
      }
    }
    throw new OperationOutcomeError(badRequest(`Parameter "${name}" must have a primitive value`, name));
  }
  const query = req.query?.[name];
  const value = Array.isArray(query) ? query[query.length - 1] : query;
  return value === undefined || value === '' ? undefined : value;
}

/**
 * A parameter's value as the text it would have in a URL: any primitive value[x], or a valueReference's
 * `reference`; undefined for anything else (a resource, a complex type, no value).
 */
export function parameterAsText(parameter: ParametersParameter): string | undefined {
  for (const [key, value] of Object.entries(parameter)) {
    if (
      key.startsWith('value') &&
      (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    ) {
      return String(value);
    }
  }
  const reference = parameter.valueReference?.reference;
  return typeof reference === 'string' ? reference : undefined;
}

/** A resource parameter (only from a Parameters body). */
export function getResourceParameter(body: Parameters | undefined, name: string): Resource | undefined {
  return findParameter(body, name)?.resource;
}

/** A non-negative integer parameter; 400 for anything else. */
export function getIntegerParameter(req: FhirRequest, body: Parameters | undefined, name: string): number | undefined {
  const raw = getStringParameter(req, body, name);
  if (raw === undefined) {
    return undefined;
  }
  if (!/^\d{1,9}$/.test(raw.trim())) {
    throw new OperationOutcomeError(
      badRequest(`Parameter "${name}" must be a non-negative integer, got "${raw}"`, name)
    );
  }
  return Number(raw.trim());
}
