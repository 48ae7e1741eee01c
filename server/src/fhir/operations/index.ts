// Registers the conformance and query operations ($validate, ValueSet/$expand, Observation/$lastn, metadata) on a FhirRouter.
import type { FhirRouter } from '@medplum/fhir-router';
import { asyncJobStatusOperation, cancelAsyncJobOperation } from './asyncJobStatus.ts';
import { expandOperation } from './expand.ts';
import { lastnOperation } from './lastn.ts';
import { metadataHandler } from './metadata.ts';
import type { CapabilityOptions } from './metadata.ts';
import { validateOperation } from './validate.ts';

export { buildCapabilityStatement, metadataHandler } from './metadata.ts';
export type { CapabilityOptions } from './metadata.ts';
export { asyncJobStatusUrl } from './asyncJobStatus.ts';
export { expandOperation } from './expand.ts';
export { lastnOperation } from './lastn.ts';
export { validateOperation } from './validate.ts';

/**
 * Adds: POST [type]/$validate, POST [type]/[id]/$validate, GET|POST ValueSet/$expand, GET|POST ValueSet/[id]/$expand
 * (interaction "operation"), GET|POST Observation/$lastn, GET and DELETE job/[id]/status (the asynchronous request
 * pattern's status URL), and GET metadata (no interaction: it must be served without authentication).
 */
export function registerConformanceOperations(router: FhirRouter, options: CapabilityOptions): void {
  router.add('POST', ':resourceType/$validate', validateOperation, 'operation');
  router.add('POST', ':resourceType/:id/$validate', validateOperation, 'operation');
  for (const method of ['GET', 'POST'] as const) {
    router.add(method, 'ValueSet/$expand', expandOperation, 'operation');
    router.add(method, 'ValueSet/:id/$expand', expandOperation, 'operation');
    router.add(method, 'Observation/$lastn', lastnOperation, 'operation');
  }
  router.add('GET', 'job/:id/status', asyncJobStatusOperation as never, 'operation');
  router.add('DELETE', 'job/:id/status', cancelAsyncJobOperation as never, 'operation');
  router.add('GET', 'metadata', metadataHandler(options));
}
