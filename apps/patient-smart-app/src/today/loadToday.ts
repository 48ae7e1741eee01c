// Loads what today's screen needs from the server: the patient's active CarePlans and today's readings.
import type { MedplumClient } from '@medplum/core';
import type { CarePlan, Observation } from '@medplum/fhirtypes';

export interface TodayData {
  carePlans: CarePlan[];
  observations: Observation[];
}

/**
 * Readings since `since`: a little more than a day before now, since the schedule's time zone (which decides where
 * today starts) is known only from the CarePlans loaded at the same time; todayTasks keeps today's.
 */
export async function loadToday(medplum: MedplumClient, patientReference: string, since: Date): Promise<TodayData> {
  const [carePlans, observations] = await Promise.all([
    medplum.searchResources('CarePlan', { subject: patientReference, status: 'active', _count: '50' }),
    medplum.searchResources('Observation', {
      subject: patientReference,
      date: `ge${since.toISOString()}`,
      _count: '500',
    }),
  ]);
  return { carePlans, observations };
}
