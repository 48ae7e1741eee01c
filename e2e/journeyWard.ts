// The headline journey's ward: the clinician ward of clinicianWard.ts plus a patient who signs in to the patient app.
import type { CarePlan, CareTeam, Observation } from '@medplum/fhirtypes';
import { readExample } from '../bots/src/testing/examples.ts';
import { ensureProgramme } from '../server/src/testing/monitoring.ts';
import { createPatientPerson, type TestPerson } from '../server/src/testing/smartFlow.ts';
import type { TestServerContext } from '../server/src/testing/testServer.ts';
import { createClinicianWard, type ClinicianWard } from './clinicianWard.ts';
import { createResource } from './support.ts';

export interface HomePatient extends TestPerson {
  patientId: string;
  /** As the worklist and the patient view show it. */
  name: string;
}

export interface JourneyWard {
  ward: ClinicianWard;
  /** On the ward clinician's care team, enrolled in the example heart-failure programme, with a sign-in. */
  patient: HomePatient;
}

/** A valid NHS number (Modulus 11) from 9 random digits, retrying the rare ones without a check digit. */
function nhsNumber(): string {
  for (;;) {
    const digits = Array.from({ length: 9 }, () => Math.floor(Math.random() * 10));
    const check = 11 - (digits.reduce((total, d, i) => total + d * (10 - i), 0) % 11);
    if (check !== 10) {
      return [...digits, check === 11 ? 0 : check].join('');
    }
  }
}

/** A normal heart rate taken `hoursAgo`, so the row has a last reading before the journey starts. */
function heartRate(patientId: string, hoursAgo: number, value: number): Observation {
  return {
    resourceType: 'Observation',
    status: 'final',
    category: [
      { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] },
    ],
    code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }] },
    subject: { reference: `Patient/${patientId}` },
    effectiveDateTime: new Date(Date.now() - hoursAgo * 3_600_000).toISOString(),
    valueQuantity: { value, unit: 'beats/minute', system: 'http://unitsofmeasure.org', code: '/min' },
  };
}

/**
 * The ward of createClinicianWard and one more patient, Rosa, who can sign in (email and password) and is on the
 * clinician's care team, enrolled in the example heart-failure programme (the example CarePlan, whose thresholds
 * the built-in alert bot applies: SpO2 below 92 % is red). The CarePlan starts now, so the missed-readings bot
 * (every 15 minutes) finds nothing due during the test and raises no alert of its own.
 */
export async function createJourneyWard(ctx: TestServerContext): Promise<JourneyWard> {
  const ward = await createClinicianWard(ctx);
  const family = `Journey${ward.suffix}`;
  const person = await createPatientPerson(ctx.server, {
    identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: nhsNumber() }],
    name: [{ given: ['Rosa'], family }],
    gender: 'female',
    birthDate: '1948-03-02',
  });
  await createResource<CareTeam>(ctx, {
    resourceType: 'CareTeam',
    status: 'active',
    name: `Virtual ward team ${ward.suffix}`,
    subject: { reference: `Patient/${person.patientId}` },
    participant: [{ member: { reference: `Practitioner/${ward.clinician.practitionerId}` } }],
  });
  await ensureProgramme(ctx.medplum, 'heart-failure');
  const { id: _id, goal: _goal, ...example } = readExample<CarePlan>('rpm-monitoring-careplan-heart-failure');
  await createResource<CarePlan>(ctx, {
    ...example,
    subject: { reference: `Patient/${person.patientId}` },
    author: undefined,
    period: { start: new Date().toISOString() },
  });
  await createResource(ctx, heartRate(person.patientId, 2, 76));
  return { ward, patient: { ...person, name: `Rosa ${family}` } };
}
