// GET Observation/$lastn (R4 Observation-lastn): the newest `max` Observations of each code for each subject asked.
import { allOk, badRequest, OperationOutcomeError } from '@medplum/core';
import type { FhirRepository, FhirRequest, FhirResponse } from '@medplum/fhir-router';
import { PostgresRepository } from '../repository/postgresRepository.ts';
import { parseSearchQuery } from '../search/index.ts';

/** `max` above this is refused: the operation answers "the last few", not a patient's whole history. */
export const MAX_LASTN_PER_GROUP = 100;

const SUBJECT_PARAMS = new Set(['patient', 'subject']);
/** The spec asks for `category` and/or a parameter on Observation.code. */
const GROUPING_PARAMS = new Set(['category', 'code', 'combo-code', 'code-value-concept', 'code-value-quantity']);

const paramName = (key: string): string => key.split(':')[0].split('.')[0];

function refuse(message: string): never {
  throw new OperationOutcomeError(badRequest(message));
}

/** `max`: a positiveInt, 1 when absent. */
function maxOf(raw: unknown): number {
  if (raw === undefined) {
    return 1;
  }
  const text = Array.isArray(raw) ? raw.join(',') : String(raw);
  if (!/^\d{1,9}$/.test(text.trim()) || Number(text) < 1) {
    refuse(`$lastn parameter "max" must be a positive integer, got "${text.slice(0, 50)}"`);
  }
  const max = Number(text);
  if (max > MAX_LASTN_PER_GROUP) {
    refuse(`$lastn parameter "max" must be at most ${MAX_LASTN_PER_GROUP}`);
  }
  return max;
}

/**
 * The search parameters are those of an Observation search (comma = OR, so `subject=Patient/a,Patient/b` asks for
 * several patients at once). As R4 requires: `patient` or `subject`, and `category` and/or a code parameter.
 */
export async function lastnOperation(req: FhirRequest, repo: FhirRepository): Promise<FhirResponse> {
  const { max: rawMax, ...query } = req.query as Record<string, string | string[] | undefined>;
  const max = maxOf(rawMax);
  const names = Object.keys(query).map(paramName);
  if (!names.some((n) => SUBJECT_PARAMS.has(n))) {
    refuse('$lastn needs the patient or subject parameter: whose Observations');
  }
  if (!names.some((n) => GROUPING_PARAMS.has(n))) {
    refuse('$lastn needs a category or code parameter: which Observations');
  }
  if (!(repo instanceof PostgresRepository)) {
    refuse('$lastn is not available on this repository');
  }
  return [allOk, await repo.lastN(parseSearchQuery('Observation', query), max)];
}
