// Red-flag answers in a heart-failure symptom check-in (QuestionnaireResponse), after NICE NG106 safety-netting.
import type { QuestionnaireResponse, QuestionnaireResponseItem } from '@medplum/fhirtypes';

/**
 * Source: NICE guideline NG106, Chronic heart failure in adults: diagnosis and management (2018): people with heart
 * failure are told which symptoms mean their condition is getting worse and to seek help (safety-netting). Here the
 * two answers that need the care team the same day, not at the next routine review:
 * - breathing `at-rest`: out of breath when sitting still or resting (worsening heart failure, fluid on the lungs);
 * - dizziness `fainted`: fainted or nearly fainted (low blood pressure, arrhythmia).
 * Answers one step below (`worse-moving`, `dizzy`), swelling and sleeping propped up are seen by the care team with the
 * response but raise no alert on their own. Needs sign-off by the service's clinical governance.
 */
export const CHECK_IN_QUESTIONNAIRE = 'http://rpm-platform.org/fhir/Questionnaire/heart-failure-symptom-check-in';
export const CHECK_IN_ANSWER_SYSTEM = 'http://rpm-platform.org/fhir/CodeSystem/rpm-heart-failure-check-in';

export interface RedFlag {
  linkId: string;
  code: string;
  /** In plain words, for the alert's detail. */
  text: string;
}

export const RED_FLAGS: readonly RedFlag[] = [
  { linkId: 'breathing', code: 'at-rest', text: 'out of breath when sitting still or resting' },
  { linkId: 'dizziness', code: 'fainted', text: 'fainted or nearly fainted' },
];

/** Only finished answers count: a response still being filled in (in-progress) or withdrawn raises nothing. */
const COUNTED_STATUSES = new Set(['completed', 'amended']);

/** The check-in's canonical, with or without `|version`. */
export function isSymptomCheckIn(response: QuestionnaireResponse): boolean {
  return (response.questionnaire ?? '').split('|')[0] === CHECK_IN_QUESTIONNAIRE;
}

function allItems(items: readonly QuestionnaireResponseItem[] | undefined): QuestionnaireResponseItem[] {
  return (items ?? []).flatMap((item) => [
    item,
    ...allItems(item.item),
    ...(item.answer ?? []).flatMap((answer) => allItems(answer.item)),
  ]);
}

/** The red flags the response's answers mark, in RED_FLAGS order; none for another questionnaire or status. */
export function findCheckInRedFlags(response: QuestionnaireResponse): RedFlag[] {
  if (!isSymptomCheckIn(response) || !COUNTED_STATUSES.has(response.status)) {
    return [];
  }
  const answered = new Set(
    allItems(response.item).flatMap((item) =>
      (item.answer ?? [])
        .filter((a) => a.valueCoding?.system === CHECK_IN_ANSWER_SYSTEM && a.valueCoding.code)
        .map((a) => `${item.linkId}|${a.valueCoding?.code}`)
    )
  );
  return RED_FLAGS.filter((flag) => answered.has(`${flag.linkId}|${flag.code}`));
}

/** "Symptom check-in: out of breath when sitting still or resting; fainted or nearly fainted." */
export function explainRedFlags(flags: readonly RedFlag[]): string {
  return `Symptom check-in: ${flags.map((f) => f.text).join('; ')}.`;
}
