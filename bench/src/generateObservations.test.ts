// The synthetic readings are valid R4 vital-sign Observations, deterministic, and spread over the window.
import { describe, expect, it } from 'vitest';
import { bundleSlices } from './bundlePlan.ts';
import {
  HEART_RATE_LOINC,
  heartRateReadingsSince,
  LOINC,
  patientReadings,
  PHD_OBSERVATION_IDENTIFIER_SYSTEM,
  UCUM,
  type ReadingPlan,
} from './generateObservations.ts';

const ANCHOR = Date.parse('2025-06-01T12:00:00Z');
const plan: ReadingPlan = { seed: 7, perPatient: 1000, anchorMs: ANCHOR, windowDays: 60 };
const patient = { index: 3, id: 'p-3' };
const VITAL_LOINC = new Set(['85354-9', '8867-4', '2708-6', '8310-5', '29463-7', '9279-1']);

describe('patientReadings', () => {
  const readings = patientReadings(plan, patient, 0, plan.perPatient);

  it('produces vitalsigns-profile Observations with UCUM quantities', () => {
    expect(readings).toHaveLength(1000);
    for (const observation of readings) {
      expect(observation.resourceType).toBe('Observation');
      expect(observation.status).toBe('final');
      expect(observation.category?.[0].coding?.[0]).toMatchObject({ code: 'vital-signs' });
      expect(observation.subject).toEqual({ reference: 'Patient/p-3' });
      const loinc = observation.code.coding?.find((coding) => coding.system === LOINC)?.code;
      expect(VITAL_LOINC.has(loinc ?? '')).toBe(true);
      const quantities = observation.component
        ? observation.component.map((c) => c.valueQuantity)
        : [observation.valueQuantity];
      for (const quantity of quantities) {
        expect(quantity?.system).toBe(UCUM);
        expect(typeof quantity?.value).toBe('number');
      }
      expect(observation.identifier?.[0].system).toBe(PHD_OBSERVATION_IDENTIFIER_SYSTEM);
      expect(observation.identifier?.[0].value).toMatch(/^[0-9A-F]{16}-p-3-\d{14}-\d+$/);
    }
  });

  it('gives blood pressure as a panel with systolic above diastolic', () => {
    const panels = readings.filter((o) => o.code.coding?.[0].code === '85354-9');
    expect(panels.length).toBeGreaterThan(100);
    for (const panel of panels) {
      const [systolic, diastolic] = panel.component ?? [];
      expect(systolic.code.coding?.[0].code).toBe('8480-6');
      expect(diastolic.code.coding?.[0].code).toBe('8462-4');
      expect(systolic.valueQuantity?.code).toBe('mm[Hg]');
      expect(systolic.valueQuantity!.value!).toBeGreaterThan(diastolic.valueQuantity!.value!);
      expect(panel.valueQuantity).toBeUndefined();
    }
  });

  it('spreads readings over the window in increasing time, with unique identifiers', () => {
    const times = readings.map((o) => Date.parse(o.effectiveDateTime!));
    expect(Math.min(...times)).toBeGreaterThanOrEqual(ANCHOR - 60 * 86_400_000);
    expect(Math.max(...times)).toBeLessThan(ANCHOR);
    expect(times.every((t, i) => i === 0 || t > times[i - 1])).toBe(true);
    expect(new Set(readings.map((o) => o.identifier?.[0].value)).size).toBe(readings.length);
  });

  it('is deterministic and random-access: a slice equals the same part of the whole', () => {
    expect(patientReadings(plan, patient, 200, 300)).toEqual(readings.slice(200, 300));
    expect(patientReadings({ ...plan, seed: 8 }, patient, 0, 10)).not.toEqual(readings.slice(0, 10));
  });

  it('counts the heart rates the 30-day search should find', () => {
    const since = ANCHOR - 30 * 86_400_000;
    const expected = readings.filter(
      (o) => o.code.coding?.[0].code === HEART_RATE_LOINC && Date.parse(o.effectiveDateTime!) >= since
    ).length;
    expect(heartRateReadingsSince(plan, patient.index, since)).toBe(expected);
    expect(expected).toBeGreaterThan(100);
  });
});

describe('bundleSlices', () => {
  it('covers every reading once, patients round-robin, bundles no larger than the bundle size', () => {
    const slices = bundleSlices(
      [
        { index: 0, id: 'a' },
        { index: 1, id: 'b' },
      ],
      250,
      100
    );
    expect(slices.map((s) => `${s.patient.id}:${s.from}-${s.to}`)).toEqual([
      'a:0-100',
      'b:0-100',
      'a:100-200',
      'b:100-200',
      'a:200-250',
      'b:200-250',
    ]);
  });
});
