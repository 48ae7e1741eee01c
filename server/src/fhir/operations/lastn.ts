// GET|POST Observation/$lastn (R4 Observation-lastn): the newest `max` Observations of each code for each subject asked.
import { allOk, badRequest, OperationOutcomeError } from '@medplum/core';
import type { FhirRepository, FhirRequest, FhirResponse } from '@medplum/fhir-router';
import type { Parameters } from '@medplum/fhirtypes';
import { PostgresRepository } from '../repository/postgresRepository.ts';
import { parseSearchQuery } from '../search/index.ts';
import { isParameters, parameterAsText } from './parameters.ts';

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

type Query = Record<string, string | string[] | undefined>;

/** A parameter's value as URL text (parameters.ts); anything else is refused. */
function parameterText(parameter: NonNullable<Parameters['parameter']>[number]): string {
  return (
    parameterAsText(parameter) ??
    refuse(`$lastn parameter "${parameter.name ?? ''}" must have a primitive value (for example valueString)`)
  );
}

/**
 * The POST form: a Parameters resource whose parameters are the search parameters (name = the parameter as in the
 * URL, modifiers included; a repeated name = the same parameter repeated, i.e. AND) and `max`. It carries what a
 * URL cannot: hundreds of patients in one `subject`.
 */
function queryOfParameters(body: Parameters): Query {
  const query: Record<string, string[]> = {};
  for (const parameter of body.parameter ?? []) {
    if (!parameter.name || typeof parameter.name !== 'string') {
      refuse('Every $lastn parameter needs a name');
    }
    (query[parameter.name] ??= []).push(parameterText(parameter));
  }
  return Object.fromEntries(
    Object.entries(query).map(([name, values]) => [name, values.length === 1 ? values[0] : values])
  );
}

/** The request's parameters: the URL's (GET), or a POST's Parameters body (a POST without one is refused). */
function lastnQuery(req: FhirRequest): Query {
  if (req.method !== 'POST') {
    return req.query as Query;
  }
  if (!isParameters(req.body)) {
    refuse('POST Observation/$lastn needs a Parameters resource as its body');
  }
  if (Object.keys(req.query ?? {}).length > 0) {
    refuse('POST Observation/$lastn takes its parameters in the Parameters body, not in the URL');
  }
  return queryOfParameters(req.body);
}

/**
 * The search parameters are those of an Observation search (comma = OR, so `subject=Patient/a,Patient/b` asks for
 * several patients at once). As R4 requires: `patient` or `subject`, and `category` and/or a code parameter.
 */
export async function lastnOperation(req: FhirRequest, repo: FhirRepository): Promise<FhirResponse> {
  const { max: rawMax, ...query } = lastnQuery(req);
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
