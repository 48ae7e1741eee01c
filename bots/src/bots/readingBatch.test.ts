// A batch of readings gets exactly the results and alerts each reading gets alone, with a few searches in all.
import { describe, expect, test } from 'vitest';
import type { DetectedIssue, Observation } from '@medplum/fhirtypes';
import { NEWS2_SNOMED } from '../fhir/codes.ts';
import type { FakeMedplum } from '../testing/fakeMedplum.ts';
import { enrol, fakeWithProgrammes } from '../testing/enrolment.ts';
import {
  acvpu,
  bloodPressure,
  oxygenFlow,
  pulse,
  respiratoryRate,
  spo2,
  temperature,
  weight,
} from '../testing/observations.ts';
import { evaluateObservation, evaluateObservations, handler } from './observationAlerts.bot.ts';
import { batchClient, prefetchForReadings } from './readingBatch.ts';

const NOW = new Date('2025-03-10T09:31:00Z');
const HF = 'Patient/hf';
const RESP = 'Patient/resp';
const OTHER = 'Patient/other';

/** Three enrolled patients: a complete NEWS2 set (medium risk) for RESP, weights rising for HF, nothing for OTHER. */
function world(): { fake: FakeMedplum; readings: Observation[] } {
  const fake = fakeWithProgrammes();
  enrol(fake, HF, 'heart-failure');
  enrol(fake, RESP, 'respiratory-virtual-ward');
  enrol(fake, OTHER, 'heart-failure');
  const at = (minute: number) => `2025-03-10T09:${String(minute).padStart(2, '0')}:00Z`;
  const of = (id: string, patient: string) => ({ id, patient });
  fake.seed(
    weight(80, '2025-03-08T09:00:00Z', of('w1', HF)),
    weight(81, '2025-03-09T09:00:00Z', of('w2', HF)),
    respiratoryRate(24, at(0), of('rr', RESP)),
    oxygenFlow(0, at(1), of('o2', RESP)),
    bloodPressure(124, 80, at(2), of('bp', RESP)),
    pulse(80, at(3), of('p', RESP)),
    acvpu('A', at(4), of('acvpu', RESP)),
    temperature(37.1, at(5), of('temp', RESP)),
    // The batch: a red SpO2 and a pulse for HF, the last NEWS2 input for RESP, a weight gain for HF, OTHER's SpO2.
    spo2(84, at(20), of('b1', HF)),
    pulse(72, at(21), of('b2', HF)),
    spo2(95, at(22), of('b3', RESP)),
    weight(82.4, at(23), of('b4', HF)),
    spo2(97, at(24), of('b5', OTHER)),
    spo2(83, at(25), of('b6', HF))
  );
  const ids = ['b1', 'b2', 'b3', 'b4', 'b5', 'b6'];
  const readings = ids.map((id) => fake.all<Observation>('Observation').find((o) => o.id === id) as Observation);
  return { fake, readings };
}

/** What the rules wrote (alerts and NEWS2 scores), without the fake's ids and times. */
function written(fake: FakeMedplum): { alerts: unknown[]; news2: unknown[] } {
  return {
    alerts: fake
      .all<DetectedIssue>('DetectedIssue')
      .map((a) => [a.identifier?.[0].value, a.severity, a.implicated?.map((i) => i.reference).sort()]),
    news2: fake
      .all<Observation>('Observation')
      .filter((o) => o.code.coding?.some((c) => c.code === NEWS2_SNOMED.total))
      .map((o) => [o.subject?.reference, o.valueInteger, o.derivedFrom?.map((d) => d.reference).sort()]),
  };
}

describe('a batch of readings', () => {
  test('gives each reading the result it gets alone, and writes the same alerts and NEWS2 scores', async () => {
    const alone = world();
    const single = [];
    for (const reading of alone.readings) {
      single.push(await evaluateObservation(alone.fake.client, reading, NOW));
    }
    const batched = world();
    const results = await evaluateObservations(batched.fake.client, batched.readings, NOW);
    const strip = (value: unknown) =>
      JSON.parse(JSON.stringify(value, (k, v) => (k === 'meta' || k === 'id' ? undefined : v)));
    expect(strip(results)).toEqual(strip(single));
    expect(written(batched.fake)).toEqual(written(alone.fake));
    // The batch did raise what these readings call for: red SpO2 (merged: b1 then b6), NEWS2 for RESP, weight gain.
    const { alerts, news2 } = written(batched.fake);
    expect(alerts.map((a) => (a as string[])[0]).sort()).toEqual([
      'vital-sign-threshold.2708-6:Patient/hf',
      'weight-gain:Patient/hf',
    ]);
    expect(news2).toHaveLength(1);
  });

  test('reads CarePlans and recent readings once for the whole batch, not once per reading', async () => {
    const { fake, readings } = world();
    await evaluateObservations(fake.client, readings, NOW);
    const searches = fake.log.filter((line) => line.startsWith('search'));
    expect(searches.filter((s) => s.startsWith('search CarePlan'))).toEqual([]);
    expect(searches.filter((s) => s.startsWith('search pages CarePlan'))).toHaveLength(1);
    // NEWS2 inputs over the NEWS2/combined window, and weights over the trend window (the batch has a weight).
    expect(searches.filter((s) => s.startsWith('search pages Observation'))).toHaveLength(2);
    expect(searches.filter((s) => s.startsWith('search Observation'))).toEqual([]);
    // Open alerts: one search for the batch. Each alert's first check is answered from it; HF's second red SpO2
    // (b6) asks again for the alert b1 has just opened, and that goes to the server, which has it.
    expect(searches.filter((s) => s.startsWith('search pages DetectedIssue'))).toHaveLength(1);
    expect(searches.filter((s) => s.startsWith('search DetectedIssue')).map(decodeURIComponent)).toEqual([
      'search DetectedIssue?identifier=http://rpm-platform.org/fhir/identifier/alert|vital-sign-threshold.2708-6:Patient/hf&status=preliminary',
    ]);
  });

  test('an open alert acknowledged after the prefetch: the stale copy conflicts, and the server answers the retry', async () => {
    const { fake, readings } = world();
    const [b1, , , , , b6] = readings;
    // b1 opens HF's SpO2 alert; the batch of b6 reads it while it is open...
    await evaluateObservation(fake.client, b1, NOW);
    const stale = await prefetchForReadings(fake.client, [b6]);
    const [open] = fake.all<DetectedIssue>('DetectedIssue');
    // ...and a clinician acknowledges it before b6's rules run.
    await fake.updateResource({ ...open, status: 'final' }, { headers: { 'If-Match': `W/"${open.meta?.versionId}"` } });
    fake.log.length = 0;
    const result = await evaluateObservation(batchClient(fake.client, stale), b6, NOW);
    expect(result.thresholds).toMatchObject({
      status: 'evaluated',
      alerts: [{ rule: 'vital-sign-threshold.2708-6', outcome: 'created' }],
    });
    expect(fake.log.filter((l) => /DetectedIssue/.test(l)).map((l) => l.replace(/\?.*/, ''))).toEqual([
      'search DetectedIssue', // the retry, after the update of the stale copy was refused (If-Match; not logged)
      'create DetectedIssue/detectedissue-2',
    ]);
    const alerts = fake.all<DetectedIssue>('DetectedIssue');
    expect(alerts.map((a) => [a.status, a.implicated?.map((r) => r.reference)])).toEqual([
      ['final', ['Observation/b1']],
      ['preliminary', ['Observation/b6']],
    ]);
  });

  test('searches the prefetch does not cover go to the server', async () => {
    const { fake, readings } = world();
    const client = batchClient(fake.client, await prefetchForReadings(fake.client, readings.slice(0, 1)));
    fake.log.length = 0;
    // Another patient, a code not prefetched, no lower date bound, an earlier bound, another parameter.
    await client.searchResources('CarePlan', { subject: RESP, status: 'active' });
    await client.searchResources('Observation', [
      ['subject', HF],
      ['code', 'http://loinc.org|29463-7'],
      ['date', 'ge2025-03-10T09:00:00Z'],
    ]);
    await client.searchResources('Observation', [
      ['subject', HF],
      ['code', 'http://loinc.org|8867-4'],
    ]);
    await client.searchResources('Observation', [
      ['subject', HF],
      ['code', 'http://loinc.org|8867-4'],
      ['date', 'ge2025-03-01T00:00:00Z'],
    ]);
    await client.searchResources('Observation', [
      ['subject', HF],
      ['code', 'http://loinc.org|8867-4'],
      ['date', 'ge2025-03-10T09:00:00Z'],
      ['_sort', 'date'],
    ]);
    expect(fake.log.filter((line) => line.startsWith('search '))).toHaveLength(5);
    // A covered one is answered in memory, filtered, newest first and counted as the server would.
    fake.log.length = 0;
    const covered = await client.searchResources('Observation', [
      ['subject', HF],
      ['code', 'http://loinc.org|2708-6,http://loinc.org|8867-4'],
      ['date', 'ge2025-03-10T09:00:00Z'],
      ['_sort', '-date'],
      ['_count', '2'],
    ]);
    expect(fake.log).toEqual([]);
    expect(covered.map((o) => o.id)).toEqual(['b6', 'b2']);
  });

  test('every reading sees the same prefetched resources, frozen, so no rule can change what another reads', async () => {
    const { fake, readings } = world();
    const client = batchClient(fake.client, await prefetchForReadings(fake.client, readings));
    const query = [
      ['subject', HF],
      ['code', 'http://loinc.org|2708-6'],
      ['date', 'ge2025-03-10T09:00:00Z'],
    ];
    const first = await client.searchResources('Observation', query);
    const second = await client.searchResources('Observation', query);
    expect(first.map((o) => o.id)).toEqual(['b1', 'b6']);
    expect(second[0]).toBe(first[0]);
    expect(second).not.toBe(first); // each answer is its own list
    expect(() => {
      (first[0].valueQuantity as { value: number }).value = 99;
    }).toThrow(TypeError);
    expect(() => first[0].code.coding?.push({ code: 'x' })).toThrow(TypeError);
    const [carePlan] = await client.searchResources('CarePlan', { subject: HF, status: 'active' });
    expect(Object.isFrozen(carePlan.subject)).toBe(true);
    // The fake server's own copies are not frozen by the bot's reading of them.
    expect(Object.isFrozen(fake.all<Observation>('Observation').find((o) => o.id === 'b1'))).toBe(false);
    expect(second[0].valueQuantity?.value).toBe(84);
  });

  test('the handler takes a collection Bundle and answers one result per entry', async () => {
    const { fake, readings } = world();
    const results = await handler(fake.client, {
      bot: { reference: 'Bot/x' },
      contentType: 'application/fhir+json',
      input: { resourceType: 'Bundle', type: 'collection', entry: readings.map((resource) => ({ resource })) },
      secrets: {},
    });
    // (The handler runs at today's date, when these 2025 plans have ended: it is the shape that is checked here.)
    expect(Array.isArray(results) && results.map((r) => Object.keys(r))).toEqual(
      readings.map(() => ['thresholds', 'news2', 'weightTrend'])
    );
  });
});
