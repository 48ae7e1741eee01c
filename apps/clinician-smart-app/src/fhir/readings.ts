// Reading Observations: when they were taken, their NEWS2 score, and which patient they belong to.
import type { Observation, Reference } from '@medplum/fhirtypes';
import { bandOfScore, type News2Band, type News2Score } from '../worklist/acuity.ts';
import { NEWS2_RISK_SYSTEM, NEWS2_TOTAL_CODE, SNOMED } from './codes.ts';

/** The id of a `Patient/<id>` reference, or undefined for anything else. */
export function patientIdOf(reference: Reference | undefined): string | undefined {
  const match = /^(?:.*\/)?Patient\/([^/]+)$/.exec(reference?.reference ?? '');
  return match?.[1];
}

/** When the reading was taken (effectiveDateTime, instant or period), as an ISO string. */
export function readingTime(observation: Observation): string | undefined {
  return (
    observation.effectiveDateTime ??
    observation.effectiveInstant ??
    observation.effectivePeriod?.end ??
    observation.effectivePeriod?.start ??
    observation.issued
  );
}

export function isNews2(observation: Observation): boolean {
  return observation.code?.coding?.some((c) => c.system === SNOMED && c.code === NEWS2_TOTAL_CODE) ?? false;
}

const BANDS: readonly News2Band[] = ['low', 'low-medium', 'medium', 'high'];

/** The NEWS2 total and band of a NEWS2 Observation (the band from its interpretation, else from the total). */
export function news2Of(observation: Observation): News2Score | undefined {
  const score = observation.valueInteger ?? observation.valueQuantity?.value;
  if (typeof score !== 'number') {
    return undefined;
  }
  const coded = observation.interpretation
    ?.flatMap((i) => i.coding ?? [])
    .find((c) => c.system === NEWS2_RISK_SYSTEM && BANDS.includes(c.code as News2Band))?.code as News2Band | undefined;
  return { score, band: coded ?? bandOfScore(score), time: readingTime(observation) };
}
