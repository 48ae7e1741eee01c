// Stores a built notification Communication once: a conditional create on its deterministic identifier.
import { isCreated, parseSearchRequest, type WithId } from '@medplum/core';
import type { FhirRepository } from '@medplum/fhir-router';
import type { Communication } from '@medplum/fhirtypes';
import { notificationIdentifierQuery } from './buildNotification.ts';

/**
 * Creates the Communication unless one with the same notification identifier exists (If-None-Exist), and says which.
 * Storing it is what sends it: the module's change consumer queues the send job in the write's transaction.
 */
export async function saveNotification(
  repo: FhirRepository,
  communication: Communication
): Promise<{ communication: WithId<Communication>; created: boolean }> {
  const search = parseSearchRequest<Communication>(`Communication?${notificationIdentifierQuery(communication)}`);
  const { resource, outcome } = await repo.conditionalCreate(communication, search);
  return { communication: resource, created: isCreated(outcome) };
}
