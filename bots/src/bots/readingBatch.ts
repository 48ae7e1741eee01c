// A batch of readings' rule searches answered from a few searches over all its patients, not a few per reading.
import type { MedplumClient, QueryTypes } from '@medplum/core';
import type { CarePlan, DetectedIssue, Observation, Resource } from '@medplum/fhirtypes';
import { LOINC, LOINC_CODES } from '../fhir/codes.ts';
import { observationTime } from '../fhir/vitalSigns.ts';
import { COMBINED_WINDOW_MINUTES } from '../rules/combined/combineSpo2AndRespiratoryRate.ts';
import { WEIGHT_GAIN_WINDOW_HOURS } from '../rules/trends/detectWeightGain.ts';
import { subjectPatient, type BotClient } from './monitoringContext.ts';
import { NEWS2_INPUT_CODES, NEWS2_WINDOW_MINUTES } from './news2.bot.ts';

/** The client a batch needs: the rules' own methods, and paging for the batch-wide searches. */
export type BatchClient = BotClient & Pick<MedplumClient, 'searchResourcePages'>;

/** Readings of one search, kept with what the search covered. */
interface Prefetched {
  resourceType: 'Observation' | 'CarePlan' | 'DetectedIssue';
  patients: ReadonlySet<string>;
  /** Observation codes (system|code) the search asked for. */
  codes: ReadonlySet<string>;
  /** The earliest `date` it asked for (Observations). */
  since?: number;
  resources: Resource[];
}

const PAGE = 1000;
const WEIGHT = `${LOINC}|${LOINC_CODES.bodyWeight}`;

/** Freezes a resource and everything in it, so that no reading's rules can change what another's see. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) {
      deepFreeze(member);
    }
  }
  return value;
}

/** Every result of a search, frozen: the batch hands the same objects to every reading's rules instead of copies. */
async function searchAll(client: BatchClient, resourceType: string, query: string[][]): Promise<Resource[]> {
  const found: Resource[] = [];
  for await (const page of client.searchResourcePages(resourceType as 'Observation', query)) {
    found.push(...page.map(deepFreeze));
  }
  return found;
}

/** The rules' searches one Observation search answers: codes and how far back, given the readings' earliest time. */
function observationSearches(readings: Observation[]): { codes: string[]; since: number }[] {
  const times = readings.map((r) => observationTime(r)?.getTime()).filter((t): t is number => t !== undefined);
  if (times.length === 0) {
    return [];
  }
  const earliest = Math.min(...times);
  const searches = [
    {
      codes: NEWS2_INPUT_CODES.split(','),
      since: earliest - Math.max(NEWS2_WINDOW_MINUTES, COMBINED_WINDOW_MINUTES) * 60_000,
    },
  ];
  if (readings.some((r) => r.code?.coding?.some((c) => `${c.system}|${c.code}` === WEIGHT))) {
    searches.push({ codes: [WEIGHT], since: earliest - WEIGHT_GAIN_WINDOW_HOURS * 3_600_000 });
  }
  return searches;
}

/**
 * Reads, for all the readings' patients at once, their active CarePlans, their open alerts, and their recent readings
 * of the codes the rules look at (NEWS2 inputs over the NEWS2 and combined windows; weights over the trend window when
 * the batch has a weight). Searches are paged, so a batch never misses a result to a page limit.
 */
export async function prefetchForReadings(client: BatchClient, readings: Observation[]): Promise<Prefetched[]> {
  const patients = [...new Set(readings.map(subjectPatient).filter((p): p is string => p !== undefined))];
  if (patients.length === 0) {
    return [];
  }
  const subject = patients.join(',');
  const patientSet = new Set(patients);
  const carePlans = searchAll(client, 'CarePlan', [
    ['subject', subject],
    ['status', 'active'],
    ['_count', String(PAGE)],
  ]);
  const openAlerts = searchAll(client, 'DetectedIssue', [
    ['patient', subject],
    ['status', 'preliminary'],
    ['_count', String(PAGE)],
  ]);
  const observations = observationSearches(readings).map(async ({ codes, since }) => ({
    resourceType: 'Observation' as const,
    patients: patientSet,
    codes: new Set(codes),
    since,
    resources: await searchAll(client, 'Observation', [
      ['subject', subject],
      ['code', codes.join(',')],
      ['date', `ge${new Date(since).toISOString()}`],
      ['_count', String(PAGE)],
    ]),
  }));
  return [
    { resourceType: 'CarePlan', patients: patientSet, codes: new Set(), resources: await carePlans },
    { resourceType: 'DetectedIssue', patients: patientSet, codes: new Set(), resources: await openAlerts },
    ...(await Promise.all(observations)),
  ];
}

/** The search `query` stands for as name/value pairs. */
function pairsOf(query: QueryTypes): [string, string][] {
  if (query === undefined) {
    return [];
  }
  if (typeof query === 'string' || query instanceof URLSearchParams || Array.isArray(query)) {
    return [...new URLSearchParams(query as string | string[][]).entries()];
  }
  return Object.entries(query)
    .filter(([, v]) => v !== undefined)
    .map(([name, value]) => [name, String(value)]);
}

/**
 * Which prefetched search answers this one, if any. Only the shapes the rules use are answered: a CarePlan search
 * for one patient's active plans; an Observation search for one patient, codes the prefetch asked for, a lower
 * `date` bound no earlier than the prefetch's (upper bounds, `_sort=-date` and `_count` are applied here). Anything
 * else goes to the server.
 */
function covering(prefetched: Prefetched[], resourceType: string, pairs: [string, string][]): Prefetched | undefined {
  if (resourceType === 'DetectedIssue') {
    return coveringOpenAlert(prefetched, pairs);
  }
  const subjects = pairs.filter(([name]) => name === 'subject').map(([, value]) => value);
  if (subjects.length !== 1 || subjects[0].includes(',')) {
    return undefined;
  }
  for (const candidate of prefetched) {
    if (candidate.resourceType !== resourceType || !candidate.patients.has(subjects[0])) {
      continue;
    }
    if (resourceType === 'CarePlan') {
      const statusOnlyActive = pairs.every(
        ([name, value]) => name === 'subject' || (name === 'status' && value === 'active')
      );
      if (statusOnlyActive && pairs.some(([name]) => name === 'status')) {
        return candidate;
      }
      continue;
    }
    const codes = pairs.filter(([name]) => name === 'code').flatMap(([, value]) => value.split(','));
    const lower = pairs
      .filter(([name, value]) => name === 'date' && /^(ge|gt)/.test(value))
      .map(([, value]) => Date.parse(value.slice(2)));
    const known = pairs.every(
      ([name, value]) =>
        ['subject', 'code'].includes(name) ||
        (name === 'date' && /^(ge|gt|le|lt)\d{4}-/.test(value) && !Number.isNaN(Date.parse(value.slice(2)))) ||
        (name === '_count' && /^\d{1,4}$/.test(value)) ||
        (name === '_sort' && value === '-date')
    );
    if (
      known &&
      codes.length > 0 &&
      codes.every((c) => candidate.codes.has(c)) &&
      lower.length > 0 &&
      lower.every((t) => !Number.isNaN(t) && t >= (candidate.since ?? Infinity))
    ) {
      return candidate;
    }
  }
  return undefined;
}

/**
 * The prefetch that answers an open-alert search (raiseAlert's `identifier=<system>|<rule>:Patient/<id>` with
 * `status=preliminary`) for one of the batch's patients; anything else about alerts goes to the server.
 */
function coveringOpenAlert(prefetched: Prefetched[], pairs: [string, string][]): Prefetched | undefined {
  const identifier = pairs.find(([name]) => name === 'identifier')?.[1] ?? '';
  const shape =
    pairs.length === 2 &&
    pairs.some(([name, value]) => name === 'status' && value === 'preliminary') &&
    !identifier.includes(',');
  const value = identifier.slice(identifier.indexOf('|') + 1);
  const patient = value.slice(value.indexOf(':') + 1);
  return shape && identifier.includes('|')
    ? prefetched.find((p) => p.resourceType === 'DetectedIssue' && p.patients.has(patient))
    : undefined;
}

/** [start, end] in ms of a reading's effective time; a date without a time covers its whole day. */
function effectiveRange(observation: Observation): [number, number] {
  const point = observation.effectiveDateTime ?? observation.effectiveInstant;
  const start = point ?? observation.effectivePeriod?.start;
  const end = point ?? observation.effectivePeriod?.end;
  const from = start ? Date.parse(start) : Number.NEGATIVE_INFINITY;
  let to = end ? Date.parse(end) : Number.POSITIVE_INFINITY;
  if (end && !end.includes('T')) {
    to += 86_399_999;
  }
  return [Number.isNaN(from) ? Number.NEGATIVE_INFINITY : from, Number.isNaN(to) ? Number.POSITIVE_INFINITY : to];
}

/** Does a prefetched resource match one parameter of the shapes `covering` lets through (as the server matches it)? */
function matchesParameter(resource: Resource, name: string, value: string): boolean {
  const r = resource as Observation | CarePlan | DetectedIssue;
  switch (name) {
    case 'identifier':
      return (r.identifier ?? []).some((i) => `${i.system}|${i.value}` === value);
    case 'subject':
      return r.resourceType !== 'DetectedIssue' && r.subject?.reference === value;
    case 'status':
      return r.status === value;
    case 'code': {
      const wanted = new Set(value.split(','));
      const coding = r.resourceType === 'Observation' ? (r.code?.coding ?? []) : [];
      return coding.some((c) => wanted.has(`${c.system}|${c.code}`));
    }
    case 'date': {
      if (r.resourceType !== 'Observation') {
        return false;
      }
      const bound = Date.parse(value.slice(2));
      const [from, to] = effectiveRange(r);
      const prefix = value.slice(0, 2);
      return prefix === 'ge'
        ? to >= bound
        : prefix === 'gt'
          ? to > bound
          : prefix === 'le'
            ? from <= bound
            : from < bound;
    }
    default:
      return true; // _sort and _count: applied after matching
  }
}

/**
 * The search answered in memory: the server's matching for these parameters, newest first, `_count`. The resources are
 * the prefetch's frozen objects, not copies (copying every answer cost about 0.2 ms of a bot worker per reading at
 * 500 readings/s, bench/README.md): a rule that tried to change one would throw, not corrupt its neighbours' view.
 */
function answer(candidate: Prefetched, pairs: [string, string][]): Resource[] {
  const matches = candidate.resources.filter((r) => pairs.every(([name, value]) => matchesParameter(r, name, value)));
  if (pairs.some(([name, value]) => name === '_sort' && value === '-date')) {
    const time = (r: Resource): number => observationTime(r as Observation)?.getTime() ?? 0;
    matches.sort((a, b) => time(b) - time(a));
  }
  const count = pairs.find(([name]) => name === '_count');
  return count ? matches.slice(0, Number(count[1])) : matches;
}

/**
 * The client for one batch: the searches the prefetch covers are answered from it, every other request (Goals,
 * programmes, writes) goes to `client` as before. An open-alert search is answered from the prefetch only the first
 * time it is asked: asked again, it is either a retry after a version conflict or a later reading of the same patient
 * and rule, and both need the server's current answer (the first reading may have just opened the alert). The
 * prefetch being a moment old is safe for the first ask too: raiseAlert's conditional create finds an alert opened
 * since, and its If-Match update fails (and starts again from the server) on one changed since.
 */
export function batchClient(client: BotClient, prefetched: Prefetched[]): BotClient {
  const server = (client as { getBaseUrl?: () => string }).getBaseUrl?.bind(client);
  const alertQueriesAsked = new Set<string>();
  return {
    ...(server ? { getBaseUrl: server } : {}),
    searchResources: (async (resourceType: string, query?: QueryTypes) => {
      const pairs = pairsOf(query);
      let candidate = covering(prefetched, resourceType, pairs);
      if (candidate?.resourceType === 'DetectedIssue') {
        const key = JSON.stringify(pairs);
        candidate = alertQueriesAsked.has(key) ? undefined : candidate;
        alertQueriesAsked.add(key);
      }
      return candidate ? answer(candidate, pairs) : client.searchResources(resourceType as 'Observation', query);
    }) as BotClient['searchResources'],
    createResourceIfNoneExist: client.createResourceIfNoneExist.bind(client),
    updateResource: client.updateResource.bind(client),
  };
}
