// A committed write as the background work sees it: which version of which resource, how it changed, and its content.
import type { Resource } from '@medplum/fhirtypes';
import type { JobSpec } from '../jobs/jobQueue.ts';
import type { ChangeInteraction } from './resourceChanges.ts';

export interface CommittedChange {
  resourceType: string;
  id: string;
  versionId: string;
  interaction: ChangeInteraction;
  /** The version's content (for a delete: the last content before it). */
  resource: Resource;
}

/**
 * Server modules that react to writes without a Subscription (e.g. sending a Communication): given a committed change,
 * the jobs to add. Called by the resource-changed job, so what they return is as durable as the write itself.
 */
export type ChangeConsumer = (change: CommittedChange) => JobSpec[];
