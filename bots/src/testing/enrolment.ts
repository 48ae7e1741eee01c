// Test helper: a fake server holding the example programmes, and a patient enrolled in one by a copy of an example CarePlan.
import type { CarePlan, Goal, PlanDefinition } from '@medplum/fhirtypes';
import { readExample } from './examples.ts';
import { FakeMedplum } from './fakeMedplum.ts';

/** A fake with both programme PlanDefinitions. */
export function fakeWithProgrammes(): FakeMedplum {
  const fake = new FakeMedplum();
  fake.seed(
    readExample<PlanDefinition>('rpm-threshold-programme-heart-failure'),
    readExample<PlanDefinition>('rpm-threshold-programme-respiratory-virtual-ward')
  );
  return fake;
}

/**
 * Enrols `patient` ("Patient/<id>") with a copy of the heart-failure example CarePlan, or the respiratory one (SpO2
 * scale 2, with the example SpO2 Goal overrides, also copied for the patient).
 */
export function enrol(fake: FakeMedplum, patient: string, programme: 'heart-failure' | 'respiratory-virtual-ward') {
  const id = patient.slice('Patient/'.length);
  const carePlan = readExample<CarePlan>(`rpm-monitoring-careplan-${programme}`);
  const goals = (carePlan.goal ?? []).map((ref) => {
    const name = ref.reference?.includes('amber') ? 'rpm-threshold-goal-spo2-amber' : 'rpm-threshold-goal-spo2-red';
    const goal = readExample<Goal>(name);
    return { ...goal, id: `${goal.id}-${id}`, subject: { reference: patient } };
  });
  fake.seed(...goals, {
    ...carePlan,
    id: `careplan-${id}`,
    subject: { reference: patient },
    goal: goals.map((g) => ({ reference: `Goal/${g.id}` })),
  });
}
