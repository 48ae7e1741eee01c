// Test helper: a FhirRouter with the conformance operations over a MemoryRepository, called like the HTTP bridge does.
import { getStatus } from '@medplum/core';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';
import type { FhirRequest, HttpMethod } from '@medplum/fhir-router';
import type { OperationOutcome, Resource } from '@medplum/fhirtypes';
import { loadConformanceResources } from '../conformance/loadConformance.ts';
import { registerConformanceOperations } from './index.ts';

export const TEST_OPTIONS = {
  baseUrl: 'https://rpm.test',
  fhirBaseUrl: 'https://rpm.test/fhir/R4',
  tokenUrl: 'https://rpm.test/oauth2/token',
};

export interface TestResponse {
  status: number;
  outcome: OperationOutcome;
  body: Resource | undefined;
}

export async function createTestRouter() {
  const router = new FhirRouter();
  registerConformanceOperations(router, TEST_OPTIONS);
  const repo = new MemoryRepository();
  await loadConformanceResources(repo);
  async function call(method: HttpMethod, url: string, body?: unknown): Promise<TestResponse> {
    const query: Record<string, string | string[]> = {};
    for (const [key, value] of new URLSearchParams(url.split('?')[1] ?? '')) {
      query[key] = query[key] === undefined ? value : [query[key] as string, value].flat();
    }
    const req: FhirRequest = { method, url, pathname: '', body, params: {}, query };
    const [outcome, resource] = await router.handleRequest(req, repo);
    return { status: getStatus(outcome), outcome, body: resource };
  }
  return { router, repo, call };
}
