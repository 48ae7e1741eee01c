// NEWS2 in plain words.
import { expect, test } from 'vitest';
import { explainNews2 } from './explainNews2.ts';
import { scoreNews2 } from './scoreNews2.ts';

const NORMAL = {
  respirationRate: 16,
  spo2: 97,
  airOrOxygen: 'air',
  systolicBp: 120,
  pulse: 70,
  consciousness: 'A',
  temperature: 37.0,
} as const;

test('names the total, the band, each parameter that scored and the response', () => {
  const text = explainNews2(scoreNews2({ ...NORMAL, respirationRate: 26, pulse: 95 }));
  expect(text).toBe(
    'NEWS2 4: Low–medium clinical risk (a score of 3 in a single parameter). Respiration rate 26/min scores 3; ' +
      'pulse 95/min scores 1. Minimum 1-hourly. A score of 3 in a single parameter: the registered nurse informs ' +
      'the medical team caring for the patient, who will review and decide whether escalation of clinical care is ' +
      'necessary.'
  );
});

test('oxygen, consciousness, temperature and the SpO2 scale are named', () => {
  const text = explainNews2(
    scoreNews2({ ...NORMAL, spo2: 95, spo2Scale: 2, airOrOxygen: 'oxygen', consciousness: 'V', temperature: 39.2 })
  );
  expect(text).toMatch(
    /^NEWS2 9: High clinical risk\. SpO2 95 % \(scale 2\) scores 2; on supplemental oxygen scores 2/
  );
  expect(text).toMatch(/consciousness: responds to voice scores 3; temperature 39\.2 °C scores 2\./);
});

test('all normal', () => {
  expect(explainNews2(scoreNews2(NORMAL))).toBe(
    'NEWS2 0: Low clinical risk. Every parameter scores 0. Minimum 12-hourly. Continue routine NEWS2 monitoring.'
  );
});
