// Bot: a heart-failure symptom check-in (QuestionnaireResponse) with a red-flag answer raises an amber alert.
import type { BotEvent, MedplumClient } from '@medplum/core';
import type { QuestionnaireResponse } from '@medplum/fhirtypes';
import { buildAlert } from '../alerts/buildAlert.ts';
import { raiseAlert, type AlertClient, type RaiseAlertResult } from '../alerts/raiseAlert.ts';
import { explainRedFlags, findCheckInRedFlags, isSymptomCheckIn } from '../rules/checkIns/findCheckInRedFlags.ts';

export type SymptomCheckInResult =
  | { status: 'skipped'; reason: string }
  | { status: 'evaluated'; redFlags: string[]; outcome?: RaiseAlertResult['outcome'] };

/** Medplum bot entry point: event.input is the QuestionnaireResponse version that was written. */
export async function handler(
  medplum: MedplumClient,
  event: BotEvent<QuestionnaireResponse>
): Promise<SymptomCheckInResult> {
  return checkSymptomCheckIn(medplum, event.input, new Date());
}

/**
 * Skips other questionnaires and responses without a literal Patient subject or id; otherwise raises (or merges
 * into) the patient's one open `symptom-check-in-red-flag` alert, severity moderate (amber), implicating the response.
 */
export async function checkSymptomCheckIn(
  medplum: AlertClient,
  response: QuestionnaireResponse,
  now: Date
): Promise<SymptomCheckInResult> {
  if (response?.resourceType !== 'QuestionnaireResponse' || !isSymptomCheckIn(response)) {
    return { status: 'skipped', reason: 'not a symptom check-in' };
  }
  const patient = response.subject?.reference;
  if (!response.id || !patient || !/^Patient\/[A-Za-z0-9\-.]{1,64}$/.test(patient)) {
    return { status: 'skipped', reason: 'no id or no literal Patient subject' };
  }
  const flags = findCheckInRedFlags(response);
  if (flags.length === 0) {
    return { status: 'evaluated', redFlags: [] };
  }
  const explanation = explainRedFlags(flags);
  const alert = buildAlert({
    patient: { reference: patient },
    rule: 'symptom-check-in-red-flag',
    severity: 'moderate',
    observations: [],
    explanation,
    identified: now,
  });
  const reference = { reference: `QuestionnaireResponse/${response.id}` };
  alert.implicated = [reference];
  alert.evidence = [{ code: [{ text: explanation }], detail: [reference] }];
  const { outcome } = await raiseAlert(medplum, alert);
  return { status: 'evaluated', redFlags: flags.map((f) => f.code), outcome };
}
