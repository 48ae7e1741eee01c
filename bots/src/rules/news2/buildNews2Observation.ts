// Builds the NEWS2 Observation: the total, one component per parameter score, the inputs it was derived from, the response band.
import { createHash } from 'node:crypto';
import type { Observation, ObservationComponent } from '@medplum/fhirtypes';
import { CODE_SYSTEMS, IDENTIFIER_SYSTEMS, NEWS2_SNOMED, OBSERVATION_CATEGORY, SNOMED } from '../../fhir/codes.ts';
import { patientReference, versionedReference } from '../../fhir/references.ts';
import type { PatientLike } from '../../fhir/references.ts';
import { observationTime } from '../../fhir/vitalSigns.ts';
import type { News2Parameter, News2Result } from './scoreNews2.ts';

/**
 * Shape (codes from shared/domain/RPM-REFERENCE.md and UK FHIR guides): `code` SNOMED 1104051000000101 (NEWS2 total
 * score), `valueInteger` the total, one `component` per parameter with its SNOMED score code and `valueInteger`, the
 * SpO2 component coded for the scale used (scale 1 1104311000000102, scale 2 1104321000000108), `derivedFrom` the
 * input Observations, `effectiveDateTime` the newest input's time, `interpretation` the RCP clinical risk band
 * (CodeSystem rpm-news2-risk) and a `note` with the monitoring frequency and response.
 *
 * Idempotence: the `identifier` (system http://rpm-platform.org/fhir/identifier/news2) is a SHA-256 of the scoring
 * version, the SpO2 scale and the sorted "Observation/<id>/_history/<versionId>" of the inputs. Recomputing the same
 * inputs gives the same identifier, so `createResourceIfNoneExist(news2, 'identifier=...')` stores it once; a corrected
 * input (new version) gives a new NEWS2 Observation.
 */

const SCORING_VERSION = 'news2-rcp-2017/v1';

const COMPONENT_CODES: Readonly<Record<News2Parameter, { code: string; display: string }>> = {
  respirationRate: { code: NEWS2_SNOMED.respirationRate, display: 'NEWS2 respiration rate score' },
  spo2: { code: NEWS2_SNOMED.spo2Scale1, display: 'NEWS2 oxygen saturation scale 1 score' },
  airOrOxygen: { code: NEWS2_SNOMED.airOrOxygen, display: 'NEWS2 air or oxygen score' },
  systolicBp: { code: NEWS2_SNOMED.systolicBp, display: 'NEWS2 systolic blood pressure score' },
  pulse: { code: NEWS2_SNOMED.pulse, display: 'NEWS2 pulse score' },
  consciousness: { code: NEWS2_SNOMED.consciousness, display: 'NEWS2 consciousness score' },
  temperature: { code: NEWS2_SNOMED.temperature, display: 'NEWS2 temperature score' },
};

const SPO2_SCALE_2 = { code: NEWS2_SNOMED.spo2Scale2, display: 'NEWS2 oxygen saturation scale 2 score' };

/** The idempotency identifier value for a NEWS2 computed from these inputs on this SpO2 scale. */
export function news2IdentifierValue(inputsUsed: readonly Observation[], spo2Scale: 1 | 2): string {
  const inputs = [...new Set(inputsUsed.map(versionedReference))].sort();
  const text = [SCORING_VERSION, `spo2-scale-${spo2Scale}`, ...inputs].join('\n');
  return createHash('sha256').update(text).digest('hex');
}

function newestInput(inputsUsed: readonly Observation[]): { time: Date; text: string } {
  let newest: { time: Date; text: string } | undefined;
  for (const observation of inputsUsed) {
    const time = observationTime(observation);
    const text =
      observation.effectiveDateTime ??
      observation.effectiveInstant ??
      observation.effectivePeriod?.end ??
      observation.effectivePeriod?.start;
    if (time && text && (!newest || time > newest.time)) {
      newest = { time, text };
    }
  }
  if (!newest) {
    throw new Error('A NEWS2 Observation needs at least one input with a time');
  }
  return newest;
}

/** The NEWS2 Observation for `result`, computed from `inputsUsed` (the distinct input Observations). */
export function buildNews2Observation(
  patient: PatientLike,
  result: News2Result,
  inputsUsed: readonly Observation[]
): Observation {
  const components: ObservationComponent[] = (Object.keys(COMPONENT_CODES) as News2Parameter[]).map((parameter) => {
    const coding = parameter === 'spo2' && result.spo2Scale === 2 ? SPO2_SCALE_2 : COMPONENT_CODES[parameter];
    return {
      code: { coding: [{ system: SNOMED, ...coding }] },
      valueInteger: result.scores[parameter],
    };
  });
  const { response } = result;
  return {
    resourceType: 'Observation',
    identifier: [{ system: IDENTIFIER_SYSTEMS.news2, value: news2IdentifierValue(inputsUsed, result.spo2Scale) }],
    status: 'final',
    category: [{ coding: [{ system: OBSERVATION_CATEGORY, code: 'survey', display: 'Survey' }] }],
    code: {
      coding: [
        {
          system: SNOMED,
          code: NEWS2_SNOMED.total,
          display: 'Royal College of Physicians NEWS2 (National Early Warning Score 2) total score',
        },
      ],
      text: 'NEWS2 total score',
    },
    subject: { reference: patientReference(patient) },
    effectiveDateTime: newestInput(inputsUsed).text,
    valueInteger: result.total,
    interpretation: [
      {
        coding: [
          { system: CODE_SYSTEMS.news2Risk, code: response.risk, display: `${response.riskLabel} clinical risk` },
        ],
        text: `${response.riskLabel} clinical risk (NEWS2 ${result.total}${
          response.trigger === 'single-parameter-3' ? ', a score of 3 in a single parameter' : ''
        })`,
      },
    ],
    note: [{ text: `${response.riskLabel} clinical risk. ${response.monitoring} ${response.response}` }],
    component: components,
    derivedFrom: [...new Set(inputsUsed.map((o) => `Observation/${o.id}`))].map((reference) => ({ reference })),
  };
}
