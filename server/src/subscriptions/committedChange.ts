// A committed write as the background work sees it: which version of which resource, how it changed, and its content.
import type { Resource } from '@medplum/fhirtypes';
import type { Caller } from '../auth/authenticate.ts';
import type { JobSpec } from '../jobs/jobQueue.ts';
import type { ChangeInteraction } from './writeTriggers.ts';

export interface CommittedChange {
  resourceType: string;
  id: string;
  versionId: string;
  interaction: ChangeInteraction;
  /** The version's content (for a delete: the last content before it). */
  resource: Resource;
  /** Who wrote it: absent for the server's own work (bots write through the API, so they are callers). */
  writtenBy?: Caller;
}

/**
 * Server modules that react to writes without a Subscription (e.g. sending a Communication): given a change, the
 * jobs to add. Called inside the writing transaction, so what they return commits exactly when the write does.
 */
export type ChangeConsumer = (change: CommittedChange) => JobSpec[];
