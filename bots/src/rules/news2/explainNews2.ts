// Puts a NEWS2 result in plain words: the total, the risk band, which parameters scored, and the RCP response.
import { NEWS2_PARAMETERS } from './scoreNews2.ts';
import type { News2Parameter, News2Result } from './scoreNews2.ts';

const ACVPU_TEXT = { A: 'alert', C: 'new confusion', V: 'responds to voice', P: 'responds to pain', U: 'unresponsive' };

const PARAMETER_TEXT: Readonly<Record<News2Parameter, (result: News2Result) => string>> = {
  respirationRate: (r) => `respiration rate ${r.banded.respirationRate}/min`,
  spo2: (r) => `SpO2 ${r.banded.spo2} % (scale ${r.spo2Scale})`,
  airOrOxygen: (r) => (r.banded.airOrOxygen === 'oxygen' ? 'on supplemental oxygen' : 'on air'),
  systolicBp: (r) => `systolic BP ${r.banded.systolicBp} mmHg`,
  pulse: (r) => `pulse ${r.banded.pulse}/min`,
  consciousness: (r) => `consciousness: ${ACVPU_TEXT[r.banded.consciousness]}`,
  temperature: (r) => `temperature ${r.banded.temperature.toFixed(1)} °C`,
};

/**
 * E.g. "NEWS2 4: Low–medium clinical risk (a score of 3 in a single parameter). Respiration rate 26/min scores 3;
 * pulse 95/min scores 1. Minimum 1-hourly. A score of 3 in a single parameter: …".
 */
export function explainNews2(result: News2Result): string {
  const { response } = result;
  const scored = NEWS2_PARAMETERS.filter((p) => result.scores[p] > 0).map(
    (p) => `${PARAMETER_TEXT[p](result)} scores ${result.scores[p]}`
  );
  const why = scored.length ? scored.join('; ') : 'every parameter scores 0';
  const single = response.trigger === 'single-parameter-3' ? ' (a score of 3 in a single parameter)' : '';
  return (
    `NEWS2 ${result.total}: ${response.riskLabel} clinical risk${single}. ` +
    `${why.charAt(0).toUpperCase()}${why.slice(1)}. ${response.monitoring} ${response.response}`
  );
}
