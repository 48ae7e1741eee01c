// Resolves a transaction's conditional entries (If-None-Exist creates, conditional updates and deletes) under locks,
// so that device gateway bundles of any size are atomic without the router's small strict-isolation limit.
import { badRequest, OperationOutcomeError, preconditionFailed } from '@medplum/core';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import type { PostgresRepository } from '../repository/postgresRepository.ts';
import { parseSearchQuery } from '../search/index.ts';

/**
 * Rewrites the bundle in place, inside the caller's database transaction:
 * - a create with `ifNoneExist` that matches one resource becomes a read of it (response 200, as FHIR requires);
 *   with no match it becomes a plain create (the lock taken on its criteria keeps it unique until commit);
 * - a conditional update (`PUT Type?criteria`) becomes `PUT Type/id` for one match or a create for none;
 * - a conditional delete that matches one resource becomes `DELETE Type/id`.
 * More than one match is 412 Precondition Failed. References to the fullUrl of a matched entry are rewritten to
 * the existing resource.
 */
export async function resolveConditionalEntries(tx: PostgresRepository, bundle: Bundle): Promise<void> {
  const matchedFullUrls = new Map<string, string>();
  const seenCriteria = new Set<string>();
  for (const [index, entry] of (bundle.entry ?? []).entries()) {
    const request = entry.request;
    if (!request?.url || !request.method) {
      continue; // The batch processor reports these with their entry index.
    }
    const where = `Bundle.entry[${index}]`;
    if (request.method === 'POST' && request.ifNoneExist) {
      const resourceType = request.url.split('?')[0];
      const criteria = `${resourceType}?${request.ifNoneExist}`;
      rejectRepeatedCriteria(seenCriteria, criteria, where);
      const match = await findSingleMatch(tx, resourceType, request.ifNoneExist, where);
      if (match) {
        const reference = `${match.resourceType}/${match.id}`;
        if (entry.fullUrl) {
          matchedFullUrls.set(entry.fullUrl, reference);
        }
        entry.request = { method: 'GET', url: reference };
        delete entry.resource;
      } else {
        delete request.ifNoneExist;
      }
    } else if ((request.method === 'PUT' || request.method === 'DELETE') && request.url.includes('?')) {
      const [resourceType, query] = splitUrl(request.url);
      rejectRepeatedCriteria(seenCriteria, request.url, where);
      const match = await findSingleMatch(tx, resourceType, query, where);
      if (match) {
        request.url = `${match.resourceType}/${match.id}`;
        if (entry.resource) {
          entry.resource = { ...entry.resource, id: match.id } as Resource;
        }
      } else if (request.method === 'PUT') {
        if (entry.resource?.id) {
          throw new OperationOutcomeError(
            badRequest('Conditional update found no match and the resource has an id', `${where}.resource.id`)
          );
        }
        entry.request = { method: 'POST', url: resourceType };
      }
      // A conditional delete with no match is left for the router, which treats it as success.
    }
  }
  if (matchedFullUrls.size > 0) {
    for (const entry of bundle.entry ?? []) {
      if (entry.resource) {
        entry.resource = rewriteReferences(entry.resource, matchedFullUrls) as Resource;
      }
    }
  }
}

function splitUrl(url: string): [string, string] {
  const at = url.indexOf('?');
  return [url.slice(0, at), url.slice(at + 1)];
}

function rejectRepeatedCriteria(seen: Set<string>, criteria: string, where: string): void {
  if (seen.has(criteria)) {
    throw new OperationOutcomeError(
      badRequest(`Two entries of one transaction use the same conditional criteria: ${criteria}`, where)
    );
  }
  seen.add(criteria);
}

async function findSingleMatch(
  tx: PostgresRepository,
  resourceType: string,
  query: string,
  where: string
): Promise<Resource | undefined> {
  const params: Record<string, string[]> = {};
  for (const [key, value] of new URLSearchParams(query)) {
    (params[key] ??= []).push(value);
  }
  if (Object.keys(params).length === 0) {
    throw new OperationOutcomeError(badRequest('Conditional criteria must not be empty', where));
  }
  const search = parseSearchQuery(resourceType, params);
  search.count = 2;
  search.sortRules = undefined;
  await tx.lockSearch(search);
  const matches = await tx.searchResources(search);
  if (matches.length > 1) {
    throw new OperationOutcomeError({
      ...preconditionFailed,
      issue: [
        {
          severity: 'error',
          code: 'multiple-matches',
          details: { text: `Criteria match more than one resource: ${resourceType}?${query}` },
          expression: [where],
        },
      ],
    });
  }
  return matches[0];
}

/** Replaces every `reference` equal to a matched fullUrl with the existing resource's reference. */
function rewriteReferences(value: unknown, map: Map<string, string>): unknown {
  if (Array.isArray(value)) {
    return value.map((v) => rewriteReferences(v, map));
  }
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      out[key] = key === 'reference' && typeof v === 'string' && map.has(v) ? map.get(v) : rewriteReferences(v, map);
    }
    return out;
  }
  return value;
}
