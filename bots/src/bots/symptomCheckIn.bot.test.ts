// Symptom check-in bot against the in-memory fake: one amber alert per patient for red-flag answers, none otherwise.
import { describe, expect, test } from 'vitest';
import type { CarePlan, DetectedIssue, QuestionnaireResponse } from '@medplum/fhirtypes';
import { ALERT_RULES } from '../alerts/alertRules.ts';
import { CHECK_IN_ANSWER_SYSTEM, CHECK_IN_QUESTIONNAIRE } from '../rules/checkIns/findCheckInRedFlags.ts';
import { enrol, fakeWithProgrammes } from '../testing/enrolment.ts';
import { FakeMedplum } from '../testing/fakeMedplum.ts';
import { scanMissedReadings } from './missedReadings.bot.ts';
import { checkSymptomCheckIn } from './symptomCheckIn.bot.ts';

const NOW = new Date('2025-03-04T09:05:00Z');

function response(id: string, answers: Record<string, string>, patient = 'Patient/hf'): QuestionnaireResponse {
  return {
    resourceType: 'QuestionnaireResponse',
    id,
    status: 'completed',
    questionnaire: CHECK_IN_QUESTIONNAIRE,
    subject: { reference: patient },
    authored: '2025-03-04T09:00:00Z',
    item: Object.entries(answers).map(([linkId, code]) => ({
      linkId,
      answer: [{ valueCoding: { system: CHECK_IN_ANSWER_SYSTEM, code } }],
    })),
  };
}

describe('symptom check-in bot', () => {
  test('breathless at rest: one moderate alert citing NICE NG106, implicating the response; a repeat changes nothing', async () => {
    const fake = new FakeMedplum();
    const qr = response('qr1', { breathing: 'at-rest', dizziness: 'no' });
    expect(await checkSymptomCheckIn(fake.client, qr, NOW)).toEqual({
      status: 'evaluated',
      redFlags: ['at-rest'],
      outcome: 'created',
    });
    const [alert] = fake.all<DetectedIssue>('DetectedIssue');
    expect(alert).toMatchObject({
      status: 'preliminary',
      severity: 'moderate',
      identifier: [{ value: 'symptom-check-in-red-flag:Patient/hf' }],
      code: { coding: [{ code: 'symptom-check-in-red-flag' }] },
      implicated: [{ reference: 'QuestionnaireResponse/qr1' }],
      detail: 'Symptom check-in: out of breath when sitting still or resting.',
      reference: 'https://www.nice.org.uk/guidance/ng106',
    });
    expect(alert.extension?.[0].valueString).toBe(ALERT_RULES['symptom-check-in-red-flag'].clinicalSource);
    expect(await checkSymptomCheckIn(fake.client, qr, NOW)).toMatchObject({ outcome: 'unchanged' });
    // A second red-flag check-in while the alert is open merges into it: still one open alert per patient and rule.
    const next = response('qr2', { dizziness: 'fainted' });
    expect(await checkSymptomCheckIn(fake.client, next, NOW)).toMatchObject({ outcome: 'updated' });
    const alerts = fake.all<DetectedIssue>('DetectedIssue');
    expect(alerts).toHaveLength(1);
    expect(alerts[0].implicated?.map((r) => r.reference)).toEqual([
      'QuestionnaireResponse/qr1',
      'QuestionnaireResponse/qr2',
    ]);
  });

  test('the answer one step below a red flag raises nothing', async () => {
    const fake = new FakeMedplum();
    const qr = response('qr1', { breathing: 'worse-moving', dizziness: 'dizzy', swelling: 'a-lot' });
    expect(await checkSymptomCheckIn(fake.client, qr, NOW)).toEqual({ status: 'evaluated', redFlags: [] });
    expect(fake.all('DetectedIssue')).toHaveLength(0);
  });

  test('skipped: another questionnaire, a subject that is not a Patient reference', async () => {
    const fake = new FakeMedplum();
    const other = { ...response('qr1', { breathing: 'at-rest' }), questionnaire: 'http://example.org/Questionnaire/x' };
    expect(await checkSymptomCheckIn(fake.client, other, NOW)).toMatchObject({ status: 'skipped' });
    const group = response('qr2', { breathing: 'at-rest' }, 'Group/g');
    expect(await checkSymptomCheckIn(fake.client, group, NOW)).toMatchObject({ status: 'skipped' });
    expect(fake.all('DetectedIssue')).toHaveLength(0);
  });

  test('the missed-readings scan leaves a scheduled check-in activity alone (it is not a reading)', async () => {
    const fake = fakeWithProgrammes();
    enrol(fake, 'Patient/hf', 'heart-failure');
    const carePlan = fake.all<CarePlan>('CarePlan')[0];
    fake.seed({
      ...carePlan,
      activity: [
        ...(carePlan.activity ?? []),
        {
          detail: {
            kind: 'Task',
            instantiatesCanonical: [CHECK_IN_QUESTIONNAIRE],
            code: {
              coding: [
                { system: 'http://rpm-platform.org/fhir/CodeSystem/rpm-care-activity', code: 'symptom-check-in' },
              ],
            },
            status: 'in-progress',
            scheduledTiming: { repeat: { frequency: 1, period: 1, periodUnit: 'd', timeOfDay: ['09:00:00'] } },
          },
        },
      ],
    });
    const result = await scanMissedReadings(fake.client, new Date('2025-03-10T12:30:00Z'));
    expect(result).toMatchObject({ carePlans: 1, schedules: 4, skipped: [] });
    expect(result.alerts.map((a) => a.code)).not.toContain('symptom-check-in');
  });
});
