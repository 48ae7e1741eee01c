// Loads the patient's readings of the last 30 days and the alerts about them (to flag readings and say "seen").
import type { MedplumClient } from '@medplum/core';
import type { DetectedIssue, Observation } from '@medplum/fhirtypes';
import { toReadings, type Reading } from './readingStatus.ts';

export const HISTORY_DAYS = 30;

export async function loadReadings(
  medplum: MedplumClient,
  patientReference: string,
  now = Date.now()
): Promise<Reading[]> {
  const since = new Date(now - HISTORY_DAYS * 24 * 3600_000).toISOString();
  const [observations, alerts] = await Promise.all([
    medplum.searchResources('Observation', {
      subject: patientReference,
      date: `ge${since}`,
      _sort: '-date',
      _count: '1000',
    }),
    medplum.searchResources('DetectedIssue', { patient: patientReference, _count: '200' }),
  ]);
  return toReadings(observations as Observation[], alerts as DetectedIssue[]);
}
