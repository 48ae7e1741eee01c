// Refuses references that only mean something inside a Bundle (urn:uuid:, urn:oid:) left unresolved in a stored resource.
import { badRequest, OperationOutcomeError } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';

const BUNDLE_LOCAL = /^urn:(uuid|oid):/;

/**
 * A transaction rewrites references to its entries' fullUrls before anything is stored; a `urn:uuid:` reference still
 * present after that names nothing (a gateway that forgot the Patient entry, say), and a reading stored with it would
 * belong to no patient and never alert. 400 naming the element. Bundles themselves are stored as they are: their
 * entries may refer to each other by fullUrl.
 */
export function assertNoUnresolvedReferences(resource: Resource): void {
  if (resource.resourceType === 'Bundle') {
    return;
  }
  const path = findUnresolved(resource, resource.resourceType);
  if (path) {
    throw new OperationOutcomeError(
      badRequest(
        `${path.expression} is ${path.reference}, which matches no entry of the transaction: send the resource it names in the same transaction Bundle (fullUrl ${path.reference}), or refer to it as Type/id`,
        path.expression
      )
    );
  }
}

function findUnresolved(value: unknown, expression: string): { expression: string; reference: string } | undefined {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findUnresolved(value[i], `${expression}[${i}]`);
      if (found) {
        return found;
      }
    }
    return undefined;
  }
  if (!value || typeof value !== 'object') {
    return undefined;
  }
  for (const [key, child] of Object.entries(value)) {
    if (key === 'reference' && typeof child === 'string' && BUNDLE_LOCAL.test(child)) {
      return { expression: `${expression}.reference`, reference: child };
    }
    if (typeof child === 'object' && child !== null) {
      const found = findUnresolved(child, `${expression}.${key}`);
      if (found) {
        return found;
      }
    }
  }
  return undefined;
}
