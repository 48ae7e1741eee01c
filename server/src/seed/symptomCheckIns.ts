// Demo data: the heart-failure symptom check-in Questionnaire, and a daily check-in on each demo patient's CarePlan.
import fs from 'node:fs';
import type { CarePlan, CarePlanActivity, Questionnaire } from '@medplum/fhirtypes';
import type { PostgresRepository } from '../fhir/repository/postgresRepository.ts';

/** The check-in's canonical URL (fhir/profiles/examples/rpm-questionnaire-heart-failure-symptoms.json). */
export const SYMPTOM_CHECK_IN_URL = 'http://rpm-platform.org/fhir/Questionnaire/heart-failure-symptom-check-in';

/** The project code naming a check-in activity (rpm-cp-3 needs a code on every scheduled activity). */
export const CHECK_IN_ACTIVITY_CODE = {
  system: 'http://rpm-platform.org/fhir/CodeSystem/rpm-care-activity',
  code: 'symptom-check-in',
  display: 'Symptom check-in',
};

function readQuestionnaire(): Questionnaire {
  const url = new URL('../../../fhir/profiles/examples/rpm-questionnaire-heart-failure-symptoms.json', import.meta.url);
  return JSON.parse(fs.readFileSync(url, 'utf8')) as Questionnaire;
}

/** The CarePlan activity that assigns the check-in: daily at 09:00, as the programme's action says. */
export function checkInActivity(): CarePlanActivity {
  return {
    detail: {
      kind: 'Task',
      instantiatesCanonical: [SYMPTOM_CHECK_IN_URL],
      code: { coding: [CHECK_IN_ACTIVITY_CODE], text: 'Symptom check-in' },
      status: 'in-progress',
      description: 'Answer a few questions about how you feel',
      scheduledTiming: { repeat: { frequency: 1, period: 1, periodUnit: 'd', timeOfDay: ['09:00:00'] } },
    },
  };
}

function hasCheckIn(carePlan: CarePlan): boolean {
  return (carePlan.activity ?? []).some((a) => a.detail?.instantiatesCanonical?.includes(SYMPTOM_CHECK_IN_URL));
}

/**
 * Stores the Questionnaire (by its id, like the programme) and adds the check-in activity to each patient's active
 * monitoring CarePlan that lacks it. Restarts write nothing new.
 */
export async function assignSymptomCheckIns(
  tx: PostgresRepository,
  counter: { created: number },
  patients: readonly string[]
): Promise<void> {
  const { created } = await tx.upsertResource(readQuestionnaire());
  counter.created += created ? 1 : 0;
  for (const patient of patients) {
    const carePlans = await tx.searchResources<CarePlan>({
      resourceType: 'CarePlan',
      filters: [
        { code: 'subject', operator: 'eq' as never, value: patient },
        { code: 'status', operator: 'eq' as never, value: 'active' },
      ],
    });
    for (const carePlan of carePlans.filter((c) => !hasCheckIn(c))) {
      await tx.updateResource({ ...carePlan, activity: [...(carePlan.activity ?? []), checkInActivity()] });
    }
  }
}
