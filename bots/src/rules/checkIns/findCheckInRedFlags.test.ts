// Red flags of the heart-failure check-in at their edges: the flagged answer alerts, the answer one step below does not.
import { describe, expect, test } from 'vitest';
import type { QuestionnaireResponse } from '@medplum/fhirtypes';
import {
  CHECK_IN_ANSWER_SYSTEM,
  CHECK_IN_QUESTIONNAIRE,
  explainRedFlags,
  findCheckInRedFlags,
} from './findCheckInRedFlags.ts';

function response(
  answers: Record<string, string>,
  changes: Partial<QuestionnaireResponse> = {}
): QuestionnaireResponse {
  return {
    resourceType: 'QuestionnaireResponse',
    status: 'completed',
    questionnaire: CHECK_IN_QUESTIONNAIRE,
    subject: { reference: 'Patient/p' },
    item: Object.entries(answers).map(([linkId, code]) => ({
      linkId,
      answer: [{ valueCoding: { system: CHECK_IN_ANSWER_SYSTEM, code } }],
    })),
    ...changes,
  };
}

const codes = (r: QuestionnaireResponse) => findCheckInRedFlags(r).map((f) => f.code);

describe('findCheckInRedFlags', () => {
  test('breathing: at rest is a red flag; more breathless when moving and usual are not', () => {
    expect(codes(response({ breathing: 'at-rest' }))).toEqual(['at-rest']);
    expect(codes(response({ breathing: 'worse-moving' }))).toEqual([]);
    expect(codes(response({ breathing: 'usual' }))).toEqual([]);
  });

  test('dizziness: fainted or nearly fainted is a red flag; dizzy is not', () => {
    expect(codes(response({ dizziness: 'fainted' }))).toEqual(['fainted']);
    expect(codes(response({ dizziness: 'dizzy' }))).toEqual([]);
  });

  test('swelling and sleeping propped up raise nothing on their own; both red flags are reported in order', () => {
    expect(codes(response({ swelling: 'a-lot' }))).toEqual([]);
    const both = response({ dizziness: 'fainted', breathing: 'at-rest', swelling: 'a-lot' });
    expect(codes(both)).toEqual(['at-rest', 'fainted']);
    expect(explainRedFlags(findCheckInRedFlags(both))).toBe(
      'Symptom check-in: out of breath when sitting still or resting; fainted or nearly fainted.'
    );
  });

  test('only finished responses to this questionnaire count (any version); the answer system must match', () => {
    expect(codes(response({ breathing: 'at-rest' }, { status: 'in-progress' }))).toEqual([]);
    expect(codes(response({ breathing: 'at-rest' }, { status: 'entered-in-error' }))).toEqual([]);
    expect(codes(response({ breathing: 'at-rest' }, { status: 'amended' }))).toEqual(['at-rest']);
    expect(codes(response({ breathing: 'at-rest' }, { questionnaire: `${CHECK_IN_QUESTIONNAIRE}|0.1.0` }))).toEqual([
      'at-rest',
    ]);
    expect(codes(response({ breathing: 'at-rest' }, { questionnaire: 'http://example.org/Questionnaire/x' }))).toEqual(
      []
    );
    const otherSystem = response({});
    otherSystem.item = [{ linkId: 'breathing', answer: [{ valueCoding: { system: 'http://x', code: 'at-rest' } }] }];
    expect(codes(otherSystem)).toEqual([]);
  });

  test('answers nested in groups are found', () => {
    const nested = response({});
    nested.item = [
      {
        linkId: 'group',
        item: [{ linkId: 'breathing', answer: [{ valueCoding: { system: CHECK_IN_ANSWER_SYSTEM, code: 'at-rest' } }] }],
      },
    ];
    expect(codes(nested)).toEqual(['at-rest']);
  });
});
