// The RCP clinical risk band and response for a NEWS2 total and its parameter scores (RCP 2017, charts 3 and 4).

/**
 * Source: Royal College of Physicians. National Early Warning Score (NEWS) 2. London: RCP, 2017. Chart 3 (NEWS
 * thresholds and triggers) and chart 4 (clinical response to the NEWS trigger thresholds). Precedence, highest first:
 *
 * - total ≥ 7 → `high` (emergency response threshold);
 * - total 5–6 → `medium` (urgent response threshold);
 * - a score of 3 in any single parameter (the total is then ≤ 4) → `low-medium`;
 * - total 1–4 → `low`;
 * - total 0 → `low`, with the routine-monitoring response.
 *
 * The responses are written for hospital wards, as the RCP wrote them; a virtual ward's operating procedure maps
 * them to its own actions (who is called, how fast).
 */

export type News2Risk = 'low' | 'low-medium' | 'medium' | 'high';
export type News2Trigger = 'score-0' | 'score-1-4' | 'single-parameter-3' | 'score-5-6' | 'score-7-or-more';

export interface News2ClinicalResponse {
  risk: News2Risk;
  trigger: News2Trigger;
  /** "Low", "Low–medium", "Medium" or "High" clinical risk. */
  riskLabel: string;
  /** Minimum frequency of monitoring. */
  monitoring: string;
  /** What the clinical team does. */
  response: string;
}

const RESPONSES: Readonly<Record<News2Trigger, News2ClinicalResponse>> = {
  'score-0': {
    risk: 'low',
    trigger: 'score-0',
    riskLabel: 'Low',
    monitoring: 'Minimum 12-hourly.',
    response: 'Continue routine NEWS2 monitoring.',
  },
  'score-1-4': {
    risk: 'low',
    trigger: 'score-1-4',
    riskLabel: 'Low',
    monitoring: 'Minimum 4–6-hourly.',
    response:
      'Inform a registered nurse, who must assess the patient and decide whether increased frequency of clinical ' +
      'monitoring or an escalation of clinical care is required.',
  },
  'single-parameter-3': {
    risk: 'low-medium',
    trigger: 'single-parameter-3',
    riskLabel: 'Low–medium',
    monitoring: 'Minimum 1-hourly.',
    response:
      'A score of 3 in a single parameter: the registered nurse informs the medical team caring for the patient, ' +
      'who will review and decide whether escalation of clinical care is necessary.',
  },
  'score-5-6': {
    risk: 'medium',
    trigger: 'score-5-6',
    riskLabel: 'Medium',
    monitoring: 'Minimum 1-hourly.',
    response:
      'Urgent response threshold: the registered nurse immediately informs the medical team caring for the ' +
      'patient and requests an urgent assessment by a clinician or team with core competencies in the care of ' +
      'acutely ill patients; clinical care in an environment with monitoring facilities.',
  },
  'score-7-or-more': {
    risk: 'high',
    trigger: 'score-7-or-more',
    riskLabel: 'High',
    monitoring: 'Continuous monitoring of vital signs.',
    response:
      'Emergency response threshold: the registered nurse immediately informs the medical team caring for the ' +
      'patient (at least at specialist registrar level); emergency assessment by a team with critical-care ' +
      'competencies, including advanced airway management; consider transfer to a level 2 or 3 care facility.',
  },
};

/** The clinical response for a NEWS2 total and its parameter scores (see the precedence above). */
export function news2ClinicalResponse(total: number, parameterScores: readonly number[]): News2ClinicalResponse {
  if (!Number.isInteger(total) || total < 0 || total > 20) {
    throw new RangeError(`A NEWS2 total is an integer from 0 to 20, not ${total}`);
  }
  if (total >= 7) {
    return RESPONSES['score-7-or-more'];
  }
  if (total >= 5) {
    return RESPONSES['score-5-6'];
  }
  if (parameterScores.some((score) => score === 3)) {
    return RESPONSES['single-parameter-3'];
  }
  return total === 0 ? RESPONSES['score-0'] : RESPONSES['score-1-4'];
}
