// The check-in form's rules on the real heart-failure Questionnaire: assignment, missing answers, the response sent.
import { readFileSync } from 'node:fs';
import type { CarePlan, Questionnaire } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import { askedItems, assignedQuestionnaires, buildCheckInResponse, checkAnswers, choicesOf } from './checkInForm.ts';

const QUESTIONNAIRE = JSON.parse(
  readFileSync(
    new URL('../../../../fhir/profiles/examples/rpm-questionnaire-heart-failure-symptoms.json', import.meta.url),
    'utf8'
  )
) as Questionnaire;

describe('assignedQuestionnaires', () => {
  test('canonicals of activities still to do on active plans, once each, without version', () => {
    const plan = (status: CarePlan['status'], activities: [string, string][]): CarePlan => ({
      resourceType: 'CarePlan',
      status,
      intent: 'plan',
      subject: { reference: 'Patient/p' },
      activity: activities.map(([url, activityStatus]) => ({
        detail: { status: activityStatus as 'in-progress', instantiatesCanonical: [url] },
      })),
    });
    expect(
      assignedQuestionnaires([
        plan('active', [
          ['http://x/Questionnaire/a|1.0', 'in-progress'],
          ['http://x/Questionnaire/b', 'completed'],
        ]),
        plan('active', [['http://x/Questionnaire/a', 'scheduled']]),
        plan('revoked', [['http://x/Questionnaire/c', 'in-progress']]),
      ])
    ).toEqual(['http://x/Questionnaire/a']);
  });
});

describe('the heart-failure check-in', () => {
  test('asks every question, in plain words, with its choices', () => {
    expect(askedItems(QUESTIONNAIRE).map((i) => i.type)).toEqual([
      'choice',
      'choice',
      'boolean',
      'integer',
      'choice',
      'string',
    ]);
    expect(choicesOf(askedItems(QUESTIONNAIRE)[0]).map((c) => c.label)).toEqual([
      'The same as usual',
      'More out of breath than usual when I move about',
      'Out of breath when I sit still or rest',
    ]);
  });

  test('required questions left empty and numbers that are not whole numbers are named', () => {
    expect(checkAnswers(QUESTIONNAIRE, {})).toEqual({
      breathing: 'Please choose an answer.',
      swelling: 'Please choose an answer.',
      'propped-up': 'Please choose an answer.',
      dizziness: 'Please choose an answer.',
    });
    const answers = { breathing: '0', swelling: '0', 'propped-up': 'no', dizziness: '0' };
    expect(checkAnswers(QUESTIONNAIRE, answers)).toEqual({});
    expect(checkAnswers(QUESTIONNAIRE, { ...answers, pillows: 'two' })).toEqual({
      pillows: 'Please type a whole number, like 2.',
    });
    expect(checkAnswers(QUESTIONNAIRE, { ...answers, pillows: '2' })).toEqual({});
  });

  test('the QuestionnaireResponse: completed, the patient, authored, the versioned canonical, typed answers', () => {
    const response = buildCheckInResponse({
      questionnaire: QUESTIONNAIRE,
      answers: {
        breathing: '2',
        swelling: '1',
        'propped-up': 'yes',
        pillows: '3',
        dizziness: '0',
        'anything-else': ' ',
      },
      patientReference: 'Patient/p',
      authored: new Date('2026-11-24T09:00:00Z'),
    });
    expect(response).toMatchObject({
      status: 'completed',
      questionnaire: 'http://rpm-platform.org/fhir/Questionnaire/heart-failure-symptom-check-in|0.1.0',
      subject: { reference: 'Patient/p' },
      authored: '2026-11-24T09:00:00.000Z',
    });
    expect(response.item?.map((i) => [i.linkId, i.answer?.[0]])).toEqual([
      [
        'breathing',
        {
          valueCoding: {
            system: 'http://rpm-platform.org/fhir/CodeSystem/rpm-heart-failure-check-in',
            code: 'at-rest',
            display: 'Out of breath when I sit still or rest',
          },
        },
      ],
      ['swelling', { valueCoding: expect.objectContaining({ code: 'a-little' }) }],
      ['propped-up', { valueBoolean: true }],
      ['pillows', { valueInteger: 3 }],
      ['dizziness', { valueCoding: expect.objectContaining({ code: 'no' }) }],
    ]);
  });
});
