// Observation/$lastn over HTTP: grouping by patient and code, max, search filters, access, and refused requests.
import { randomUUID } from 'node:crypto';
import type { Bundle, CapabilityStatement, Observation, OperationOutcome } from '@medplum/fhirtypes';
import { beforeAll, describe, expect, test } from 'vitest';
import { asUser, createAll } from '../../access/testWorld.ts';
import { useTestServer } from '../../testing/testServer.ts';

const ctx = useTestServer();

const LOINC = 'http://loinc.org';
const MDC = 'urn:iso:std:iso:11073:10101';
const VITAL_SIGNS = [
  { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] },
];
const NOW = Date.UTC(2026, 10, 20, 12);

function reading(patientKey: string, loinc: string, hoursAgo: number, value: number, extra?: string): Observation {
  return {
    resourceType: 'Observation',
    status: 'final',
    category: VITAL_SIGNS,
    code: { coding: [{ system: LOINC, code: loinc }, ...(extra ? [{ system: MDC, code: extra }] : [])] },
    subject: { reference: `#${patientKey}` },
    effectiveDateTime: new Date(NOW - hoursAgo * 3_600_000).toISOString(),
    valueQuantity: { value, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
  };
}

let ids: Record<string, string>;

beforeAll(async () => {
  ids = await createAll(ctx, {
    ann: { resourceType: 'Patient', name: [{ family: `Lastn${randomUUID().slice(0, 6)}`, given: ['Ann'] }] },
    bob: { resourceType: 'Patient', name: [{ family: 'Lastn', given: ['Bob'] }] },
    cat: { resourceType: 'Patient', name: [{ family: 'Lastn', given: ['Cat'] }] },
    // Ann: heart rate at 1, 5 (with an MDC coding too: same group) and 30 h ago; SpO2 at 2 and 50 h ago.
    annHr1: reading('ann', '8867-4', 1, 71),
    annHr5: reading('ann', '8867-4', 5, 75, '147842'),
    annHr30: reading('ann', '8867-4', 30, 80),
    annSpo2a: reading('ann', '2708-6', 2, 97),
    annSpo2b: reading('ann', '2708-6', 50, 94),
    // Bob: one heart rate 3 h ago, and a temperature not in vital-signs (laboratory).
    bobHr: reading('bob', '8867-4', 3, 64),
    bobLab: { ...reading('bob', '8310-5', 1, 37), category: [{ coding: [{ code: 'laboratory' }] }] },
    // Cat: a heart rate (outside the patients asked for in most cases).
    catHr: reading('cat', '8867-4', 1, 90),
  });
});

/** A $lastn answer: a searchset Bundle, or an OperationOutcome when refused. */
type Answer = Bundle & Pick<OperationOutcome, 'issue'>;

async function lastn(query: string, fetcher = ctx.api): Promise<{ status: number; body: Answer }> {
  const res = await fetcher(`Observation/$lastn?${query}`);
  return { status: res.status, body: (await res.json()) as Answer };
}

const observationIds = (bundle: Bundle): string[] => (bundle.entry ?? []).map((e) => e.resource?.id as string);

describe('Observation/$lastn', () => {
  test('is advertised on Observation in the CapabilityStatement', async () => {
    const statement = (await (await ctx.api('metadata')).json()) as CapabilityStatement;
    const observation = statement.rest?.[0].resource?.find((r) => r.type === 'Observation');
    expect(observation?.operation).toContainEqual({
      name: 'lastn',
      definition: 'http://hl7.org/fhir/OperationDefinition/Observation-lastn',
    });
  });

  test('answers the newest Observation of each code for one patient (max defaults to 1)', async () => {
    const { status, body } = await lastn(`subject=Patient/${ids.ann}&category=vital-signs`);
    expect(status).toBe(200);
    expect(body.type).toBe('searchset');
    expect(observationIds(body).sort()).toEqual([ids.annHr1, ids.annSpo2a].sort());
    expect(body.total).toBe(2);
  });

  test('max=2 gives the two newest of each code, newest first within the code', async () => {
    const { body } = await lastn(`patient=${ids.ann}&category=vital-signs&max=2`);
    const ids2 = observationIds(body);
    expect(ids2).toHaveLength(4);
    // An Observation also coded MDC groups with the LOINC-only ones (its lowest system|code is the LOINC one).
    const heartRates = ids2.filter((id) => [ids.annHr1, ids.annHr5, ids.annHr30].includes(id));
    expect(heartRates).toEqual([ids.annHr1, ids.annHr5]);
    expect(ids2.filter((id) => [ids.annSpo2a, ids.annSpo2b].includes(id))).toEqual([ids.annSpo2a, ids.annSpo2b]);
  });

  test('several patients at once (comma = OR), each grouped on its own; other filters apply', async () => {
    const { body } = await lastn(`subject=Patient/${ids.ann},Patient/${ids.bob}&category=vital-signs`);
    expect(observationIds(body).sort()).toEqual([ids.annHr1, ids.annSpo2a, ids.bobHr].sort());

    const since = new Date(NOW - 24 * 3_600_000).toISOString();
    const recent = await lastn(
      `subject=Patient/${ids.ann},Patient/${ids.bob},Patient/${ids.cat}&code=${LOINC}|8867-4&date=ge${since}&max=5`
    );
    expect(observationIds(recent.body).sort()).toEqual([ids.annHr1, ids.annHr5, ids.bobHr, ids.catHr].sort());
  });

  test('_elements subsets the answer as in a search', async () => {
    const { body } = await lastn(`subject=Patient/${ids.bob}&category=vital-signs&_elements=subject,effective`);
    const observation = body.entry?.[0].resource as Observation;
    expect(observation.effectiveDateTime).toBeDefined();
    expect(observation.valueQuantity).toBeUndefined();
    expect(observation.meta?.tag?.some((t) => t.code === 'SUBSETTED')).toBe(true);
  });

  test("a patient's token sees only their own Observations, whatever patients are asked for", async () => {
    const asAnn = await asUser(
      ctx,
      { role: 'patient', fhirUser: `Patient/${ids.ann}`, patient: ids.ann },
      'patient/Observation.rs'
    );
    const { status, body } = await lastn(`subject=Patient/${ids.ann},Patient/${ids.cat}&category=vital-signs`, asAnn);
    expect(status).toBe(200);
    expect(observationIds(body).sort()).toEqual([ids.annHr1, ids.annSpo2a].sort());
  });

  test.each([
    ['category=vital-signs', 'patient or subject'],
    [`subject=Patient/x`, 'category or code'],
    ['subject=Patient/x&category=vital-signs&max=0', 'positive integer'],
    ['subject=Patient/x&category=vital-signs&max=abc', 'positive integer'],
    ['subject=Patient/x&category=vital-signs&max=101', 'at most 100'],
    ['subject=Patient/x&category=vital-signs&date=gexyz', 'date'],
  ])('refuses %s with a 400 naming the problem', async (query, words) => {
    const { status, body } = await lastn(query);
    expect(status).toBe(400);
    expect(body.resourceType as string).toBe('OperationOutcome');
    expect(JSON.stringify(body.issue)).toContain(words);
  });

  describe('POST with a Parameters body (hundreds of patients do not fit a URL)', () => {
    async function post(body: unknown, query = ''): Promise<{ status: number; body: Answer }> {
      const res = await ctx.api(`Observation/$lastn${query}`, { method: 'POST', body: JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as Answer };
    }
    const parameters = (...pairs: [string, Record<string, unknown>][]) => ({
      resourceType: 'Parameters',
      parameter: pairs.map(([name, value]) => ({ name, ...value })),
    });

    test('answers as GET does, whatever value[x] carries the parameter', async () => {
      const since = new Date(NOW - 24 * 3_600_000).toISOString();
      const viaGet = await lastn(
        `subject=Patient/${ids.ann},Patient/${ids.bob},Patient/${ids.cat}&code=${LOINC}|8867-4&date=ge${since}&max=5`
      );
      const viaPost = await post(
        parameters(
          ['subject', { valueString: `Patient/${ids.ann},Patient/${ids.bob},Patient/${ids.cat}` }],
          ['code', { valueString: `${LOINC}|8867-4` }],
          ['date', { valueDateTime: `ge${since}` }],
          ['max', { valueInteger: 5 }]
        )
      );
      expect(viaPost.status).toBe(200);
      expect(observationIds(viaPost.body)).toEqual(observationIds(viaGet.body));
      expect(observationIds(viaPost.body)).toHaveLength(4);

      const byReference = await post(
        parameters(
          ['patient', { valueReference: { reference: `Patient/${ids.ann}` } }],
          ['category', { valueCode: 'vital-signs' }]
        )
      );
      expect(observationIds(byReference.body).sort()).toEqual([ids.annHr1, ids.annSpo2a].sort());
    });

    test('a repeated parameter is the same parameter repeated (AND), as in a URL', async () => {
      const { body } = await post(
        parameters(
          ['subject', { valueString: `Patient/${ids.ann}` }],
          ['category', { valueString: 'vital-signs' }],
          ['date', { valueString: `ge${new Date(NOW - 10 * 3_600_000).toISOString()}` }],
          ['date', { valueString: `le${new Date(NOW - 1.5 * 3_600_000).toISOString()}` }],
          ['max', { valueString: '3' }]
        )
      );
      expect(observationIds(body).sort()).toEqual([ids.annHr5, ids.annSpo2a].sort());
    });

    test.each([
      ['no Parameters body', { resourceType: 'Patient' }, '', 'Parameters resource'],
      [
        'parameters in the URL too',
        parameters(['category', { valueString: 'vital-signs' }]),
        '?subject=Patient/x',
        'not in the URL',
      ],
      [
        'a parameter without a primitive value',
        parameters(['subject', { resource: { resourceType: 'Patient' } }]),
        '',
        'primitive value',
      ],
      ['no subject', parameters(['category', { valueString: 'vital-signs' }]), '', 'patient or subject'],
      [
        'a bad max',
        parameters(
          ['subject', { valueString: 'Patient/x' }],
          ['category', { valueString: 'vital-signs' }],
          ['max', { valueInteger: 0 }]
        ),
        '',
        'positive integer',
      ],
    ])('refuses %s with a 400 naming the problem', async (_name, body, query, words) => {
      const answer = await post(body, query);
      expect(answer.status).toBe(400);
      expect(JSON.stringify(answer.body.issue)).toContain(words);
    });
  });
});
