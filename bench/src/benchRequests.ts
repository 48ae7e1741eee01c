// The two clinical requests measured: read an Observation by id, and one patient's heart rate over 30 days.
import { HEART_RATE_LOINC, LOINC } from './generateObservations.ts';

export const FHIR_BASE_PATH = '/fhir/R4';
export const SEARCH_PAGE_SIZE = 50;
export const SEARCH_DAYS = 30;

/** Path (under the FHIR base) of a read by id. */
export function observationReadPath(id: string): string {
  return `/Observation/${encodeURIComponent(id)}`;
}

/** YYYY-MM-DD of `days` days before nowMs (UTC): the lower bound of the search. */
export function daysAgoDate(nowMs: number, days: number): string {
  return new Date(nowMs - days * 86_400_000).toISOString().slice(0, 10);
}

/** Path (under the FHIR base) of "this patient's heart rate since sinceDate, newest first, 50 per page". */
export function heartRateSearchPath(patientId: string, sinceDate: string): string {
  const query = new URLSearchParams({
    subject: `Patient/${patientId}`,
    code: `${LOINC}|${HEART_RATE_LOINC}`,
    date: `ge${sinceDate}`,
    _sort: '-date',
    _count: String(SEARCH_PAGE_SIZE),
  });
  return `/Observation?${query.toString()}`;
}
