// The worklist's readings against the real server: $lastn and the plain-search fallback give the same answer.
import { randomUUID } from 'node:crypto';
import type { Observation } from '@medplum/fhirtypes';
import { beforeAll, describe, expect, test } from 'vitest';
import { createAll } from '../../../../server/src/access/testWorld.ts';
import { useTestServer } from '../../../../server/src/testing/testServer.ts';
import { NEWS2_TOTAL_CODE, SNOMED } from '../fhir/codes.ts';
import { mayHaveLastN } from '../fhir/lastN.ts';
import { latestReadings, type LatestReadings } from './latestReadings.ts';

const ctx = useTestServer({ RPM_BUILT_IN_BOTS: 'false', RPM_RUN_JOBS: 'false' });

const CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';
const HOUR = 3_600_000;

function vital(patient: string, loinc: string, hoursAgo: number): Observation {
  return {
    resourceType: 'Observation',
    status: 'final',
    category: [{ coding: [{ system: CATEGORY, code: 'vital-signs' }] }],
    code: { coding: [{ system: 'http://loinc.org', code: loinc }] },
    subject: { reference: `#${patient}` },
    effectiveDateTime: new Date(Date.now() - hoursAgo * HOUR).toISOString(),
    valueQuantity: { value: 70, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
  };
}

function news2(patient: string, hoursAgo: number, score: number): Observation {
  return {
    resourceType: 'Observation',
    status: 'final',
    category: [{ coding: [{ system: CATEGORY, code: 'survey' }] }],
    code: { coding: [{ system: SNOMED, code: NEWS2_TOTAL_CODE }] },
    subject: { reference: `#${patient}` },
    effectiveDateTime: new Date(Date.now() - hoursAgo * HOUR).toISOString(),
    valueInteger: score,
  };
}

let ids: Record<string, string>;

beforeAll(async () => {
  const family = `Latest${randomUUID().slice(0, 6)}`;
  ids = await createAll(ctx, {
    // Recent readings of two kinds, and NEWS2 twice this week.
    amy: { resourceType: 'Patient', name: [{ family, given: ['Amy'] }] },
    amyHr1: vital('amy', '8867-4', 1),
    amyHr2: vital('amy', '8867-4', 20),
    amySpo2: vital('amy', '2708-6', 3),
    amyNews1: news2('amy', 2, 5),
    amyNews2: news2('amy', 30, 1),
    // Quiet for 5 days: the last reading is found outside the 48 h window; NEWS2 older than a week does not count.
    ben: { resourceType: 'Patient', name: [{ family, given: ['Ben'] }] },
    benHr: vital('ben', '8867-4', 120),
    benOld: vital('ben', '8867-4', 200),
    benNews: news2('ben', 24 * 8, 3),
    // Never measured.
    cal: { resourceType: 'Patient', name: [{ family, given: ['Cal'] }] },
  });
});

/** The answer in comparable form: last reading, the newest recent reading time per code, the newest NEWS2. */
function summary(readings: LatestReadings, patient: string) {
  const newestByCode = new Map<string, string>();
  for (const o of readings.recent.get(patient) ?? []) {
    const code = o.code?.coding?.[0]?.code as string;
    const time = o.effectiveDateTime as string;
    if (!newestByCode.has(code) || (newestByCode.get(code) as string) < time) {
      newestByCode.set(code, time);
    }
  }
  const scores = (readings.news2.get(patient) ?? []).map((o) => o.effectiveDateTime as string).sort();
  return {
    lastReading: readings.lastReading.get(patient),
    recent: Object.fromEntries([...newestByCode].sort()),
    newestNews2: scores[scores.length - 1],
  };
}

describe('latestReadings', () => {
  test('$lastn and plain searches agree for recent, quiet and never-measured patients', async () => {
    const patients = [ids.amy, ids.ben, ids.cal];
    const viaLastN = await latestReadings(ctx.medplum, patients);
    expect(mayHaveLastN(ctx.medplum)).toBe(true);
    const viaSearches = await latestReadings(ctx.medplum, patients, true);
    for (const patient of patients) {
      expect(summary(viaLastN, patient)).toEqual(summary(viaSearches, patient));
    }
    const amy = summary(viaLastN, ids.amy);
    expect(amy.lastReading).toBeDefined();
    expect(Object.keys(amy.recent)).toEqual(['2708-6', '8867-4']);
    expect(amy.newestNews2).toBeDefined();
    const ben = summary(viaLastN, ids.ben);
    expect(ben.lastReading).toBeDefined();
    expect(ben.recent).toEqual({});
    expect(ben.newestNews2).toBeUndefined();
    expect(summary(viaLastN, ids.cal)).toEqual({ lastReading: undefined, recent: {}, newestNews2: undefined });
    // $lastn sends one reading of each kind, not every reading of the window.
    expect(viaLastN.recent.get(ids.amy)).toHaveLength(2);
    expect(viaSearches.recent.get(ids.amy)).toHaveLength(3);
  });
});
