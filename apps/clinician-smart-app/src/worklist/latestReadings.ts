// The readings a worklist row shows: each patient's newest vital signs (last reading, overdue check) and newest NEWS2.
import type { MedplumClient } from '@medplum/core';
import type { Bundle, Observation } from '@medplum/fhirtypes';
import { NEWS2_TOTAL_CODE, SNOMED } from '../fhir/codes.ts';
import { lastNForPatients, lastNUnsupported, mayHaveLastN } from '../fhir/lastN.ts';
import { isNews2, patientIdOf, readingTime } from '../fhir/readings.ts';
import { searchForPatients } from '../fhir/searchInChunks.ts';

/** Readings newer than this are read for the whole caseload at once; older ones only for patients lacking one. */
const RECENT_READINGS_HOURS = 48;
/** NEWS2 scores older than this do not count as "latest". */
const NEWS2_LOOKBACK_DAYS = 7;
const MAX_PER_SEARCH = '1000';
/** `_elements` of the reading searches: the patient, the time and the code (a standard FHIR subset). */
const READING_ELEMENTS = 'subject,effective,code';
const NEWS2_ELEMENTS = `${READING_ELEMENTS},value,interpretation`;

export interface LatestReadings {
  /** When each patient's newest vital sign was taken. */
  lastReading: Map<string, string>;
  /** Each patient's recent vital signs (at least the newest of each kind in the last 48 h), for overdue readings. */
  recent: Map<string, Observation[]>;
  /** Each patient's NEWS2 scores of the last week (at least the newest). */
  news2: Map<string, Observation[]>;
}

export function groupByPatient<T>(items: readonly T[], patientOf: (item: T) => string | undefined): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const id = patientOf(item);
    if (id) {
      const group = groups.get(id);
      if (group) {
        group.push(item);
      } else {
        groups.set(id, [item]);
      }
    }
  }
  return groups;
}

export function newest(observations: readonly Observation[] | undefined): Observation | undefined {
  let best: Observation | undefined;
  for (const observation of observations ?? []) {
    if (!best || (readingTime(observation) ?? '') > (readingTime(best) ?? '')) {
      best = observation;
    }
  }
  return best;
}

function newestTimes(byPatient: ReadonlyMap<string, Observation[]>): Map<string, string> {
  const times = new Map<string, string>();
  for (const [id, observations] of byPatient) {
    const time = readingTime(newest(observations) as Observation);
    if (time) {
      times.set(id, time);
    }
  }
  return times;
}

const byPatient = (observations: Observation[]): Map<string, Observation[]> =>
  groupByPatient(observations, (o) => patientIdOf(o.subject));

/**
 * With Observation/$lastn (our server and others advertising it): the newest reading of each vital sign in the last
 * 48 h and the newest NEWS2 of the week, a few requests and a few Observations per patient; then, only for patients
 * without a recent reading, the newest of each vital sign ever.
 */
async function withLastN(medplum: MedplumClient, patientIds: string[]): Promise<LatestReadings> {
  const since = new Date(Date.now() - RECENT_READINGS_HOURS * 3_600_000).toISOString();
  const news2Since = new Date(Date.now() - NEWS2_LOOKBACK_DAYS * 86_400_000).toISOString();
  const [readings, scores] = await Promise.all([
    lastNForPatients(medplum, patientIds, {
      category: 'vital-signs',
      date: `ge${since}`,
      _elements: READING_ELEMENTS,
    }),
    lastNForPatients(medplum, patientIds, {
      code: `${SNOMED}|${NEWS2_TOTAL_CODE}`,
      date: `ge${news2Since}`,
      _elements: NEWS2_ELEMENTS,
    }),
  ]);
  const recent = byPatient(readings);
  const lastReading = newestTimes(recent);
  const quiet = patientIds.filter((id) => !lastReading.has(id));
  if (quiet.length) {
    const older = newestTimes(
      byPatient(await lastNForPatients(medplum, quiet, { category: 'vital-signs', _elements: READING_ELEMENTS }))
    );
    older.forEach((time, id) => lastReading.set(id, time));
  }
  return { lastReading, recent, news2: byPatient(scores.filter(isNews2)) };
}

/**
 * Plain searches, for a server without $lastn: every vital sign of the last 48 h and NEWS2 of the week for the
 * caseload, then one small search per patient without a recent reading.
 */
async function withSearches(medplum: MedplumClient, patientIds: string[]): Promise<LatestReadings> {
  const since = new Date(Date.now() - RECENT_READINGS_HOURS * 3_600_000).toISOString();
  const news2Since = new Date(Date.now() - NEWS2_LOOKBACK_DAYS * 86_400_000).toISOString();
  const [readings, scores] = await Promise.all([
    searchForPatients(medplum, 'Observation', 'subject', patientIds, {
      category: 'vital-signs',
      date: `ge${since}`,
      // No _sort: the newest is picked here, every page is read, and sorting costs the server a lookup per match.
      _count: MAX_PER_SEARCH,
      _elements: READING_ELEMENTS,
    }),
    searchForPatients(medplum, 'Observation', 'subject', patientIds, {
      code: `${SNOMED}|${NEWS2_TOTAL_CODE}`,
      date: `ge${news2Since}`,
      _count: MAX_PER_SEARCH,
      _elements: NEWS2_ELEMENTS,
    }),
  ]);
  const recent = byPatient(readings as Observation[]);
  const lastReading = newestTimes(recent);
  await Promise.all(
    patientIds
      .filter((id) => !lastReading.has(id))
      .map(async (id) => {
        const bundle: Bundle = await medplum.search('Observation', {
          subject: `Patient/${id}`,
          category: 'vital-signs',
          _sort: '-date',
          _count: '1',
        });
        const time = readingTime((bundle.entry?.[0]?.resource as Observation | undefined) ?? ({} as Observation));
        if (time) {
          lastReading.set(id, time);
        }
      })
  );
  return { lastReading, recent, news2: byPatient((scores as Observation[]).filter(isNews2)) };
}

/**
 * The worklist's readings of these patients: through $lastn unless the server has shown it does not have it (then,
 * and from then on, plain searches). `viaSearches` forces the plain searches.
 */
export async function latestReadings(
  medplum: MedplumClient,
  patientIds: string[],
  viaSearches = false
): Promise<LatestReadings> {
  if (!viaSearches && mayHaveLastN(medplum)) {
    try {
      return await withLastN(medplum, patientIds);
    } catch (err) {
      if (!lastNUnsupported(medplum, err)) {
        throw err;
      }
    }
  }
  return withSearches(medplum, patientIds);
}
