// The NEWS2 Observation: codes, components, derivedFrom, time, response band and an identifier stable for the same inputs.
import { describe, expect, test } from 'vitest';
import type { Observation } from '@medplum/fhirtypes';
import { CODE_SYSTEMS, IDENTIFIER_SYSTEMS, NEWS2_SNOMED, SNOMED } from '../../fhir/codes.ts';
import {
  acvpu,
  bloodPressure,
  oxygenFlow,
  PATIENT_REFERENCE,
  pulse,
  respiratoryRate,
  spo2,
  temperature,
} from '../../testing/observations.ts';
import { buildNews2Observation, news2IdentifierValue } from './buildNews2Observation.ts';
import { completeNews2Inputs } from './completeNews2Inputs.ts';
import { scoreNews2 } from './scoreNews2.ts';
import type { Spo2Scale } from './scoreNews2.ts';

function inputs(): Observation[] {
  return [
    respiratoryRate(26, '2025-03-01T09:00:00Z', { id: 'rr' }),
    spo2(95, '2025-03-01T09:01:00Z', { id: 'spo2' }),
    oxygenFlow(0, '2025-03-01T09:01:00Z', { id: 'o2' }),
    bloodPressure(118, 76, '2025-03-01T09:02:00Z', { id: 'bp' }),
    pulse(95, '2025-03-01T09:03:00Z', { id: 'pulse' }),
    acvpu('A', '2025-03-01T09:04:00Z', { id: 'acvpu' }),
    temperature(37.2, '2025-03-01T10:06:00+01:00', { id: 'temp' }),
  ];
}

function build(observations = inputs(), spo2Scale: Spo2Scale = 1): Observation {
  const selection = completeNews2Inputs(observations, { windowMinutes: 60, spo2Scale });
  if (!selection.complete) {
    throw new Error('expected a complete set');
  }
  return buildNews2Observation({ reference: PATIENT_REFERENCE }, scoreNews2(selection.inputs), selection.observations);
}

describe('buildNews2Observation', () => {
  test('the total, the code and the subject', () => {
    const news2 = build();
    expect(news2).toMatchObject({
      resourceType: 'Observation',
      status: 'final',
      code: { coding: [{ system: SNOMED, code: NEWS2_SNOMED.total }] },
      subject: { reference: PATIENT_REFERENCE },
      valueInteger: 5,
    });
  });

  test('one component per parameter score, with the SNOMED code of the parameter', () => {
    const components = Object.fromEntries(
      (build().component ?? []).map((c) => [c.code.coding?.[0].code, c.valueInteger])
    );
    expect(components).toEqual({
      [NEWS2_SNOMED.respirationRate]: 3,
      [NEWS2_SNOMED.spo2Scale1]: 1,
      [NEWS2_SNOMED.airOrOxygen]: 0,
      [NEWS2_SNOMED.systolicBp]: 0,
      [NEWS2_SNOMED.pulse]: 1,
      [NEWS2_SNOMED.consciousness]: 0,
      [NEWS2_SNOMED.temperature]: 0,
    });
  });

  test('on SpO2 scale 2 the SpO2 component carries the scale 2 score code', () => {
    const codes = (build(inputs(), 2).component ?? []).map((c) => c.code.coding?.[0].code);
    expect(codes).toContain(NEWS2_SNOMED.spo2Scale2);
    expect(codes).not.toContain(NEWS2_SNOMED.spo2Scale1);
  });

  test('derivedFrom the input Observations; effective at the newest input, as that input recorded it', () => {
    const news2 = build();
    expect(news2.derivedFrom?.map((r) => r.reference)).toEqual([
      'Observation/rr',
      'Observation/spo2',
      'Observation/o2',
      'Observation/bp',
      'Observation/pulse',
      'Observation/acvpu',
      'Observation/temp',
    ]);
    expect(news2.effectiveDateTime).toBe('2025-03-01T10:06:00+01:00');
  });

  test('the response band as interpretation and note (total 5 with a single 3: medium)', () => {
    const news2 = build();
    expect(news2.interpretation?.[0].coding?.[0]).toMatchObject({ system: CODE_SYSTEMS.news2Risk, code: 'medium' });
    expect(news2.note?.[0].text).toMatch(/^Medium clinical risk\. Minimum 1-hourly\. Urgent response threshold/);
  });

  test('a single 3 with a total of 4 is interpreted low-medium', () => {
    const set = inputs().map((o) => (o.id === 'pulse' ? pulse(70, '2025-03-01T09:03:00Z', { id: 'pulse' }) : o));
    const news2 = build(set);
    expect(news2.valueInteger).toBe(4);
    expect(news2.interpretation?.[0].coding?.[0].code).toBe('low-medium');
    expect(news2.interpretation?.[0].text).toBe(
      'Low–medium clinical risk (NEWS2 4, a score of 3 in a single parameter)'
    );
  });

  describe('the identifier', () => {
    test('is the same when the same inputs are given in another order', () => {
      const one = build();
      const two = build([...inputs()].reverse());
      expect(one.identifier).toEqual(two.identifier);
      expect(one.identifier?.[0].system).toBe(IDENTIFIER_SYSTEMS.news2);
      expect(one.identifier?.[0].value).toMatch(/^[0-9a-f]{64}$/);
    });

    test('changes when an input has a new version, or with the SpO2 scale', () => {
      const corrected = inputs().map((o) => (o.id === 'rr' ? { ...o, meta: { versionId: '2' } } : o));
      expect(build(corrected).identifier).not.toEqual(build().identifier);
      expect(build(inputs(), 2).identifier).not.toEqual(build().identifier);
    });

    test('needs input ids', () => {
      const [first] = inputs();
      expect(() => news2IdentifierValue([{ ...first, id: undefined }], 1)).toThrow(/must have an id/);
    });
  });

  test('a Patient resource may be given instead of a reference', () => {
    const selection = completeNews2Inputs(inputs(), { windowMinutes: 60 });
    if (!selection.complete) throw new Error('expected a complete set');
    const news2 = buildNews2Observation(
      { resourceType: 'Patient', id: 'p9' },
      scoreNews2(selection.inputs),
      selection.observations
    );
    expect(news2.subject?.reference).toBe('Patient/p9');
  });
});
