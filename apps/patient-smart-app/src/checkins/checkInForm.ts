// A check-in's questions and answers: which Questionnaires the plan assigns, what is missing, the QuestionnaireResponse.
import type {
  CarePlan,
  Coding,
  Questionnaire,
  QuestionnaireItem,
  QuestionnaireResponse,
  QuestionnaireResponseItem,
} from '@medplum/fhirtypes';

/** The item types the screen shows; others (display, group, date, …) are not asked. */
export const SUPPORTED_TYPES = ['choice', 'boolean', 'integer', 'string', 'text'] as const;

/** What the patient has answered so far, by linkId: a choice's option index, "yes"/"no", or the typed text. */
export type CheckInAnswers = Record<string, string>;

const ACTIVE_ACTIVITY = ['not-started', 'scheduled', 'in-progress'];

/**
 * The Questionnaires the patient's active CarePlans assign: `activity.detail.instantiatesCanonical` of activities
 * still to do (canonical URLs, `|version` dropped, each once).
 */
export function assignedQuestionnaires(carePlans: readonly CarePlan[]): string[] {
  const urls = carePlans
    .filter((plan) => plan.status === 'active')
    .flatMap((plan) => plan.activity ?? [])
    .filter((activity) => activity.detail && ACTIVE_ACTIVITY.includes(activity.detail.status))
    .flatMap((activity) => activity.detail?.instantiatesCanonical ?? [])
    .map((url) => url.split('|')[0]);
  return [...new Set(urls)];
}

/** The questions the screen asks, in order (top-level items of a supported type). */
export function askedItems(questionnaire: Questionnaire): QuestionnaireItem[] {
  return (questionnaire.item ?? []).filter((item) => (SUPPORTED_TYPES as readonly string[]).includes(item.type));
}

/** The choices of a choice item, as words and the Coding to send. */
export function choicesOf(item: QuestionnaireItem): { label: string; coding?: Coding; text?: string }[] {
  return (item.answerOption ?? []).map((option) =>
    option.valueCoding
      ? { label: option.valueCoding.display ?? option.valueCoding.code ?? '', coding: option.valueCoding }
      : { label: option.valueString ?? String(option.valueInteger ?? ''), text: option.valueString }
  );
}

export type CheckInProblems = Record<string, string>;

/** Plain-words problems by linkId: a required question left empty, a number that is not a whole number. */
export function checkAnswers(questionnaire: Questionnaire, answers: CheckInAnswers): CheckInProblems {
  const problems: CheckInProblems = {};
  for (const item of askedItems(questionnaire)) {
    const value = (answers[item.linkId] ?? '').trim();
    if (!value) {
      if (item.required) {
        problems[item.linkId] =
          item.type === 'choice' || item.type === 'boolean'
            ? 'Please choose an answer.'
            : 'Please answer this question.';
      }
      continue;
    }
    if (item.type === 'integer' && !/^\d{1,3}$/.test(value)) {
      problems[item.linkId] = 'Please type a whole number, like 2.';
    }
  }
  return problems;
}

function answerOf(item: QuestionnaireItem, value: string): QuestionnaireResponseItem['answer'] {
  switch (item.type) {
    case 'choice': {
      const choice = choicesOf(item)[Number(value)];
      if (!choice) {
        return undefined;
      }
      return [choice.coding ? { valueCoding: choice.coding } : { valueString: choice.text ?? choice.label }];
    }
    case 'boolean':
      return [{ valueBoolean: value === 'yes' }];
    case 'integer':
      return [{ valueInteger: Number(value) }];
    default:
      return [{ valueString: value }];
  }
}

/** The completed QuestionnaireResponse: answered items only, with the question text, for the patient and now. */
export function buildCheckInResponse(input: {
  questionnaire: Questionnaire;
  answers: CheckInAnswers;
  patientReference: string;
  authored: Date;
}): QuestionnaireResponse {
  const { questionnaire } = input;
  const items = askedItems(questionnaire).flatMap((item): QuestionnaireResponseItem[] => {
    const value = (input.answers[item.linkId] ?? '').trim();
    const answer = value ? answerOf(item, value) : undefined;
    return answer ? [{ linkId: item.linkId, text: item.text, answer }] : [];
  });
  return {
    resourceType: 'QuestionnaireResponse',
    status: 'completed',
    questionnaire: questionnaire.version ? `${questionnaire.url}|${questionnaire.version}` : questionnaire.url,
    subject: { reference: input.patientReference },
    author: { reference: input.patientReference },
    source: { reference: input.patientReference },
    authored: input.authored.toISOString(),
    item: items,
  };
}
