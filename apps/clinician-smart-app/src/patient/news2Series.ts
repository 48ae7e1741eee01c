// NEWS2 history as a chart series (the total score over time), beside the vital signs it was computed from.
import type { Observation } from '@medplum/fhirtypes';
import { news2Of } from '../fhir/readings.ts';
import type { ReadingPoint, VitalSignSeries } from './vitalSigns.ts';

/** The NEWS2 totals of `observations` (NEWS2 Observations), oldest first; empty when there are none. */
export function news2Series(observations: readonly Observation[]): VitalSignSeries | undefined {
  const points = observations
    .map((observation): ReadingPoint | undefined => {
      const score = news2Of(observation);
      const time = Date.parse(score?.time ?? '');
      return score && !Number.isNaN(time) ? { time, value: score.score, observationId: observation.id } : undefined;
    })
    .filter((p): p is ReadingPoint => p !== undefined)
    .sort((a, b) => a.time - b.time);
  return points.length ? { definition: { kind: 'news2', label: 'NEWS2', unit: '', codes: [] }, points } : undefined;
}
