// Wraps resources in a FHIR transaction Bundle of creates, as a gateway uploads them.
import crypto from 'node:crypto';
import type { Bundle, Resource } from '@medplum/fhirtypes';

/** A transaction Bundle POSTing each resource, each with a fresh urn:uuid fullUrl. */
export function transactionBundle(resources: Resource[]): Bundle {
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: resources.map((resource) => ({
      fullUrl: `urn:uuid:${crypto.randomUUID()}`,
      resource,
      request: { method: 'POST', url: resource.resourceType },
    })),
  };
}
