// Hand-entered readings: plain-words checks that keep the input, and patient-entered Observations with LOINC and UCUM.
import { describe, expect, test } from 'vitest';
import { READING_SOURCE_SYSTEM } from '../bluetooth/vitalSignCodes.ts';
import { checkReading, manualObservations, parseTyped, readingSummary } from './manualReading.ts';
import { vitalSign, type VitalKey } from './vitalSigns.ts';

const vital = (key: VitalKey) => vitalSign(key) ?? expect.fail(key);
const TAKEN = new Date('2026-11-24T08:30:00Z');

describe('checkReading', () => {
  test('numbers in range pass; a comma is a decimal point', () => {
    expect(parseTyped(' 36,8 ')).toBe(36.8);
    expect(parseTyped('12a')).toBeUndefined();
    expect(checkReading(vital('temperature'), { temperature: '36,8' })).toEqual({});
    expect(checkReading(vital('blood-pressure'), { systolic: '130', diastolic: '85', pulse: '' })).toEqual({});
  });

  test('out of range, not a number, missing, too many decimals and top below bottom are refused in words', () => {
    expect(checkReading(vital('spo2'), { spo2: '140' }).spo2).toBe(
      'This number looks wrong. It should be between 50 and 100 percent. Check it and type it again.'
    );
    expect(checkReading(vital('weight'), { weight: 'heavy' }).weight).toMatch(/^Type a number/);
    expect(checkReading(vital('heart-rate'), { rate: '' }).rate).toBe('Type your heart rate.');
    expect(checkReading(vital('heart-rate'), { rate: '72.5' }).rate).toBe('Type a whole number, with no dot.');
    expect(checkReading(vital('blood-pressure'), { systolic: '80', diastolic: '90' }).diastolic).toMatch(
      /bottom number should be smaller/
    );
  });
});

describe('manualObservations', () => {
  test('blood pressure: a panel with systolic and diastolic (no mean), and the pulse, patient-entered', () => {
    const [panel, pulse, ...rest] = manualObservations(
      vital('blood-pressure'),
      { systolic: '130', diastolic: '85', pulse: '70' },
      'Patient/p1',
      TAKEN
    );
    expect(rest).toEqual([]);
    expect(panel.code.coding?.map((c) => c.code)).toEqual(['85354-9']);
    expect(
      panel.component?.map((c) => [c.code.coding?.[0].code, c.valueQuantity?.value, c.valueQuantity?.code])
    ).toEqual([
      ['8480-6', 130, 'mm[Hg]'],
      ['8462-4', 85, 'mm[Hg]'],
    ]);
    expect(pulse.code.coding?.map((c) => c.code)).toEqual(['8867-4']);
    expect(pulse.valueQuantity).toMatchObject({ value: 70, code: '/min' });
    for (const o of [panel, pulse]) {
      expect(o.method?.coding?.[0]).toMatchObject({ system: READING_SOURCE_SYSTEM, code: 'patient-entered' });
      expect(o.performer).toEqual([{ reference: 'Patient/p1' }]);
      expect(o.subject).toEqual({ reference: 'Patient/p1' });
      expect(o.effectiveDateTime).toBe(TAKEN.toISOString());
      expect(o.device).toBeUndefined();
    }
  });

  test.each([
    ['heart-rate', { rate: '72' }, '8867-4', 72, '/min'],
    ['spo2', { spo2: '95' }, '2708-6', 95, '%'],
    ['temperature', { temperature: '38.2' }, '8310-5', 38.2, 'Cel'],
    ['weight', { weight: '82.4' }, '29463-7', 82.4, 'kg'],
    ['respiratory-rate', { rate: '18' }, '9279-1', 18, '/min'],
    ['blood-glucose', { glucose: '6.1' }, '15074-8', 6.1, 'mmol/L'],
  ] as const)('%s: one Observation with its LOINC code and UCUM unit', (key, typed, loinc, value, ucum) => {
    const observations = manualObservations(vital(key), typed, 'Patient/p1', TAKEN);
    expect(observations).toHaveLength(1);
    expect(observations[0].code.coding?.[0].code).toBe(loinc);
    expect(observations[0].code.coding?.some((c) => c.system === 'urn:iso:std:iso:11073:10101')).toBe(false);
    expect(observations[0].valueQuantity).toMatchObject({ value, code: ucum, system: 'http://unitsofmeasure.org' });
    expect(observations[0].method?.coding?.[0].code).toBe('patient-entered');
  });

  test('summaries in words', () => {
    expect(readingSummary(vital('blood-pressure'), { systolic: '130', diastolic: '85', pulse: '70' })).toBe(
      '130/85 mmHg, pulse 70 beats/min'
    );
    expect(readingSummary(vital('temperature'), { temperature: '36,8' })).toBe('36.8 °C');
  });
});
