// Impossible vital-sign values and readings from the future are refused (422); extreme but real readings are stored.
import type { Observation } from '@medplum/fhirtypes';
import { OperationOutcomeError } from '@medplum/core';
import { describe, expect, test } from 'vitest';
import { useTestServer } from '../testing/testServer.ts';
import { assertPlausibleReading, FUTURE_TOLERANCE_MS } from './readingPlausibility.ts';

const NOW = Date.parse('2025-03-10T12:00:00Z');
const UCUM = 'http://unitsofmeasure.org';

function reading(code: string, value: number, unit: string, at = '2025-03-10T11:59:00Z'): Observation {
  return {
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code }] },
    effectiveDateTime: at,
    valueQuantity: { value, unit, system: UCUM, code: unit },
  };
}

function refusal(observation: Observation, now = NOW): string | undefined {
  try {
    assertPlausibleReading(observation, now);
    return undefined;
  } catch (err) {
    return (err as OperationOutcomeError).outcome.issue?.[0]?.details?.text;
  }
}

describe('assertPlausibleReading', () => {
  test.each([
    ['2708-6', 0.9, '%', true],
    ['2708-6', 1, '%', false],
    ['2708-6', 60, '%', false],
    ['2708-6', 100, '%', false],
    ['2708-6', 100.1, '%', true],
    ['8867-4', 0, '/min', true],
    ['8867-4', 30, '/min', false],
    ['8867-4', 350, '/min', false],
    ['8867-4', 351, '/min', true],
    ['9279-1', 121, '/min', true],
    ['8310-5', 24.9, 'Cel', true],
    ['8310-5', 25, 'Cel', false],
    ['8310-5', 46, 'Cel', false],
    ['8310-5', 46.1, 'Cel', true],
    ['8310-5', 98.6, '[degF]', false],
    ['8310-5', 98.6, 'Cel', true],
    ['29463-7', 0, 'kg', true],
    ['29463-7', 80, 'kg', false],
    ['29463-7', 180, '[lb_av]', false],
    ['2339-0', 5.5, 'mmol/L', false],
    ['2339-0', 99, 'mg/dL', false],
    ['2339-0', 111, 'mmol/L', true],
  ])('%s %s %s refused: %s', (code, value, unit, refused) => {
    expect(refusal(reading(code, value, unit)) !== undefined).toBe(refused);
  });

  test('blood pressure components are checked one by one', () => {
    const bp: Observation = {
      resourceType: 'Observation',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }] },
      effectiveDateTime: '2025-03-10T11:00:00Z',
      component: [
        {
          code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] },
          valueQuantity: { value: 400, system: UCUM, code: 'mm[Hg]' },
        },
        {
          code: { coding: [{ system: 'http://loinc.org', code: '8462-4' }] },
          valueQuantity: { value: 80, system: UCUM, code: 'mm[Hg]' },
        },
      ],
    };
    expect(refusal(bp)).toMatch(/^Systolic blood pressure 400 mm\[Hg\] is outside/);
    bp.component![0].valueQuantity!.value = 190;
    expect(refusal(bp)).toBeUndefined();
  });

  test('a reading dated after the server time plus the tolerance is refused; within it, stored', () => {
    const at = (ms: number) => new Date(NOW + ms).toISOString();
    expect(refusal(reading('8867-4', 70, '/min', at(FUTURE_TOLERANCE_MS)))).toBeUndefined();
    expect(refusal(reading('8867-4', 70, '/min', at(FUTURE_TOLERANCE_MS + 1000)))).toMatch(/in the future/);
    expect(
      refusal({
        ...reading('8867-4', 70, '/min'),
        effectiveDateTime: undefined,
        effectivePeriod: { start: at(86_400_000) },
      })
    ).toMatch(/in the future/);
  });

  test('codes, units and systems it does not know are not judged', () => {
    expect(refusal(reading('1234-5', -5, '/min'))).toBeUndefined();
    expect(refusal(reading('8867-4', 9999, '/s'))).toBeUndefined();
    expect(
      refusal({ ...reading('2708-6', 500, '%'), valueQuantity: { value: 500, system: 'urn:other', code: '%' } })
    ).toBeUndefined();
    expect(refusal({ resourceType: 'Patient' } as never)).toBeUndefined();
  });
});

describe('on the FHIR API', () => {
  const ctx = useTestServer();

  test('POST of an impossible SpO2 answers 422 with the reason, and nothing is stored', async () => {
    const res = await ctx.api('Observation', {
      method: 'POST',
      body: JSON.stringify({ ...reading('2708-6', 127, '%'), effectiveDateTime: new Date().toISOString() }),
    });
    expect(res.status).toBe(422);
    const outcome = (await res.json()) as { issue: { details: { text: string }; expression: string[] }[] };
    expect(outcome.issue[0].details.text).toMatch(/SpO2 127 % is outside/);
    expect(outcome.issue[0].expression).toEqual(['Observation.valueQuantity.value']);
  });

  test('an extreme but possible reading (SpO2 62 %) is stored, so that it alerts', async () => {
    const res = await ctx.api('Observation', {
      method: 'POST',
      body: JSON.stringify({ ...reading('2708-6', 62, '%'), effectiveDateTime: new Date().toISOString() }),
    });
    expect(res.status).toBe(201);
  });

  test('a reading from tomorrow answers 422', async () => {
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
    const res = await ctx.api('Observation', {
      method: 'POST',
      body: JSON.stringify(reading('8867-4', 70, '/min', tomorrow)),
    });
    expect(res.status).toBe(422);
    expect(JSON.stringify(await res.json())).toMatch(/in the future/);
  });
});
