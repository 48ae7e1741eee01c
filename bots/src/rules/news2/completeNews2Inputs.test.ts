// Choosing NEWS2 inputs from Observations: codes and units, the window ending at the newest, missing and unusable inputs.
import { describe, expect, test } from 'vitest';
import type { Observation } from '@medplum/fhirtypes';
import { LOINC, LOINC_CODES } from '../../fhir/codes.ts';
import {
  acvpu,
  bloodPressure,
  oxygenFlow,
  pulse,
  quantity,
  respiratoryRate,
  spo2,
  temperature,
  vital,
} from '../../testing/observations.ts';
import { completeNews2Inputs } from './completeNews2Inputs.ts';

const T = '2025-03-01T09:';

/** One full set taken between 09:00 and 09:06. */
function fullSet(): Observation[] {
  return [
    respiratoryRate(18, `${T}00:00Z`),
    spo2(95, `${T}01:00Z`),
    oxygenFlow(0, `${T}01:00Z`),
    bloodPressure(118, 76, `${T}02:00Z`),
    pulse(88, `${T}03:00Z`),
    acvpu('A', `${T}04:00Z`),
    temperature(37.2, `${T}06:00Z`),
  ];
}

describe('completeNews2Inputs', () => {
  test('a complete set: each input from its Observation, the window ending at the newest', () => {
    const set = fullSet();
    const result = completeNews2Inputs(set, { windowMinutes: 60 });
    expect(result.complete).toBe(true);
    if (!result.complete) return;
    expect(result.inputs).toEqual({
      respirationRate: 18,
      spo2: 95,
      spo2Scale: 1,
      airOrOxygen: 'air',
      systolicBp: 118,
      pulse: 88,
      consciousness: 'A',
      temperature: 37.2,
    });
    expect(result.windowEnd.toISOString()).toBe('2025-03-01T09:06:00.000Z');
    expect(result.windowStart.toISOString()).toBe('2025-03-01T08:06:00.000Z');
    expect(result.used.systolicBp).toBe(set[3]);
    expect(result.observations).toHaveLength(7);
  });

  test('the SpO2 scale is the one given (a clinician flag), never inferred', () => {
    const low = [...fullSet(), spo2(89, `${T}05:00Z`)];
    const result = completeNews2Inputs(low, { windowMinutes: 60 });
    expect(result.complete && result.inputs.spo2Scale).toBe(1);
    const scale2 = completeNews2Inputs(low, { windowMinutes: 60, spo2Scale: 2 });
    expect(scale2.complete && scale2.inputs.spo2Scale).toBe(2);
  });

  test('systolic BP comes from a BP panel component or a standalone 8480-6 Observation', () => {
    const standalone = vital(LOINC_CODES.systolic, 102, 'mm[Hg]', `${T}05:00Z`);
    const result = completeNews2Inputs([...fullSet(), standalone], { windowMinutes: 60 });
    expect(result.complete && result.inputs.systolicBp).toBe(102);
    expect(result.used.systolicBp).toBe(standalone);
  });

  test('SpO2 coded 59408-5 (US Core pulse oximetry) counts', () => {
    const set = fullSet().filter((o) => o.code.coding?.[0].code !== LOINC_CODES.spo2);
    const usCore = vital(LOINC_CODES.spo2PulseOximetry, 93, '%', `${T}01:00Z`);
    const result = completeNews2Inputs([...set, usCore], { windowMinutes: 60 });
    expect(result.complete && result.inputs.spo2).toBe(93);
  });

  describe('air or oxygen', () => {
    test('an inhaled oxygen flow rate above 0 L/min means oxygen; 0 means air', () => {
      const onOxygen = [...fullSet(), oxygenFlow(2, `${T}05:00Z`)];
      const result = completeNews2Inputs(onOxygen, { windowMinutes: 60 });
      expect(result.complete && result.inputs.airOrOxygen).toBe('oxygen');
      const onAir = [...fullSet(), oxygenFlow(0, `${T}05:00Z`)];
      expect(completeNews2Inputs(onAir, { windowMinutes: 60 })).toMatchObject({ inputs: { airOrOxygen: 'air' } });
    });

    test('the flow rate may be a component of the SpO2 Observation', () => {
      const set = fullSet().filter((o) => o.code.coding?.[0].code !== LOINC_CODES.inhaledOxygenFlowRate);
      const withFlow = set.map((o) =>
        o.code.coding?.[0].code === LOINC_CODES.spo2
          ? {
              ...o,
              component: [
                {
                  code: { coding: [{ system: LOINC, code: LOINC_CODES.inhaledOxygenFlowRate }] },
                  valueQuantity: quantity(1.5, 'L/min'),
                },
              ],
            }
          : o
      );
      const result = completeNews2Inputs(withFlow, { windowMinutes: 60 });
      expect(result.complete && result.inputs.airOrOxygen).toBe('oxygen');
      expect(result.used.airOrOxygen).toBe(result.used.spo2);
      expect(result.observations).toHaveLength(6);
    });

    test('when it is not recorded, nothing is assumed: the input is missing', () => {
      const set = fullSet().filter((o) => o.code.coding?.[0].code !== LOINC_CODES.inhaledOxygenFlowRate);
      expect(completeNews2Inputs(set, { windowMinutes: 60 })).toMatchObject({
        complete: false,
        missing: ['airOrOxygen'],
      });
    });
  });

  describe('temperature', () => {
    test('°F is converted to °C and rounded to 0.1 °C: 100.4 °F is 38.0 °C, 100.5 °F is 38.1 °C', () => {
      const at = `${T}07:00Z`;
      const f1 = completeNews2Inputs([...fullSet(), temperature(100.4, at, {}, '[degF]')], { windowMinutes: 60 });
      expect(f1.complete && f1.inputs.temperature).toBe(38.0);
      const f2 = completeNews2Inputs([...fullSet(), temperature(100.5, at, {}, '[degF]')], { windowMinutes: 60 });
      expect(f2.complete && f2.inputs.temperature).toBe(38.1);
      const f3 = completeNews2Inputs([...fullSet(), temperature(95, at, {}, '[degF]')], { windowMinutes: 60 });
      expect(f3.complete && f3.inputs.temperature).toBe(35.0);
    });

    test('a unit that does not fit (K) is not used', () => {
      const set = fullSet().filter((o) => o.code.coding?.[0].code !== LOINC_CODES.bodyTemperature);
      const kelvin = temperature(310, `${T}06:00Z`, {}, 'K');
      expect(completeNews2Inputs([...set, kelvin], { windowMinutes: 60 })).toMatchObject({
        complete: false,
        missing: ['temperature'],
      });
    });
  });

  describe('the window', () => {
    test('the newest Observation of each input within the window is used', () => {
      const older = pulse(120, `${T}00:30Z`);
      const newest = pulse(64, `${T}05:30Z`);
      const result = completeNews2Inputs([newest, ...fullSet(), older], { windowMinutes: 60 });
      expect(result.complete && result.inputs.pulse).toBe(64);
      expect(result.used.pulse).toBe(newest);
    });

    test('an input exactly windowMinutes before the newest is inside; one second earlier is outside', () => {
      const set = fullSet().filter((o) => o.code.coding?.[0].code !== LOINC_CODES.respiratoryRate);
      const edge = completeNews2Inputs([...set, respiratoryRate(14, '2025-03-01T08:06:00Z')], { windowMinutes: 60 });
      expect(edge.complete && edge.inputs.respirationRate).toBe(14);
      const outside = completeNews2Inputs([...set, respiratoryRate(14, '2025-03-01T08:05:59Z')], {
        windowMinutes: 60,
      });
      expect(outside).toMatchObject({ complete: false, missing: ['respirationRate'] });
    });

    test('a newer reading moves the window: yesterday’s set is not completed by a new pulse', () => {
      const result = completeNews2Inputs([...fullSet(), pulse(70, '2025-03-02T09:00:00Z')], { windowMinutes: 60 });
      expect(result.complete).toBe(false);
      if (result.complete) return;
      expect(result.missing).toEqual([
        'respirationRate',
        'spo2',
        'airOrOxygen',
        'systolicBp',
        'consciousness',
        'temperature',
      ]);
      expect(result.partial).toEqual({ pulse: 70 });
    });

    test('on a tie in time the Observation with the smaller id wins, whatever the order given', () => {
      const a = pulse(80, `${T}03:00Z`, { id: 'a' });
      const b = pulse(100, `${T}03:00Z`, { id: 'b' });
      const set = fullSet().filter((o) => o.code.coding?.[0].code !== LOINC_CODES.heartRate);
      const one = completeNews2Inputs([...set, a, b], { windowMinutes: 60 });
      const two = completeNews2Inputs([b, ...set, a], { windowMinutes: 60 });
      expect(one.used.pulse).toBe(a);
      expect(two.used.pulse).toBe(a);
    });
  });

  describe('unusable Observations', () => {
    test('entered-in-error, cancelled and registered are ignored; preliminary and amended count', () => {
      const set = fullSet().filter((o) => o.code.coding?.[0].code !== LOINC_CODES.heartRate);
      for (const status of ['entered-in-error', 'cancelled', 'registered'] as const) {
        const result = completeNews2Inputs([...set, pulse(70, `${T}03:00Z`, { status })], { windowMinutes: 60 });
        expect(result).toMatchObject({ complete: false, missing: ['pulse'] });
      }
      for (const status of ['preliminary', 'amended', 'corrected'] as const) {
        const result = completeNews2Inputs([...set, pulse(70, `${T}03:00Z`, { status })], { windowMinutes: 60 });
        expect(result.complete).toBe(true);
      }
    });

    test('a dataAbsentReason instead of a value, a date without a time, or an unknown ACVPU answer is not used', () => {
      const set = fullSet().filter((o) => o.code.coding?.[0].code !== LOINC_CODES.spo2);
      const absent: Observation = {
        ...spo2(0, `${T}01:00Z`),
        valueQuantity: undefined,
        dataAbsentReason: { text: 'NaN' },
      };
      expect(completeNews2Inputs([...set, absent], { windowMinutes: 60 })).toMatchObject({ missing: ['spo2'] });
      const dateOnly = { ...spo2(95, `${T}01:00Z`), effectiveDateTime: '2025-03-01' };
      expect(completeNews2Inputs([...set, dateOnly], { windowMinutes: 60 })).toMatchObject({ missing: ['spo2'] });
      const noAcvpu = fullSet().filter((o) => o.valueCodeableConcept === undefined);
      const unknown = { ...acvpu('A', `${T}04:00Z`), valueCodeableConcept: { text: 'drowsy' } };
      expect(completeNews2Inputs([...noAcvpu, unknown], { windowMinutes: 60 })).toMatchObject({
        missing: ['consciousness'],
      });
    });

    test('no Observations at all: every input is missing', () => {
      expect(completeNews2Inputs([], { windowMinutes: 60 })).toMatchObject({
        complete: false,
        missing: ['respirationRate', 'spo2', 'airOrOxygen', 'systolicBp', 'pulse', 'consciousness', 'temperature'],
      });
    });
  });

  test.each(['C', 'V', 'P', 'U'] as const)('ACVPU %s is read from its SNOMED answer', (level) => {
    const set = fullSet().filter((o) => o.valueCodeableConcept === undefined);
    const result = completeNews2Inputs([...set, acvpu(level, `${T}04:00Z`)], { windowMinutes: 60 });
    expect(result.complete && result.inputs.consciousness).toBe(level);
  });

  test('a negative window is refused', () => {
    expect(() => completeNews2Inputs([], { windowMinutes: -1 })).toThrow(RangeError);
  });
});
