// A small virtual ward for the clinician app's E2E tests: a clinician, their patients with readings, NEWS2 and alerts.
import type { CarePlan, CareTeam, DetectedIssue, Observation, Patient, PlanDefinition } from '@medplum/fhirtypes';
import { buildAlert } from '../bots/src/alerts/buildAlert.ts';
import { createStaffPerson, type TestPerson } from '../server/src/testing/smartFlow.ts';
import type { TestServerContext } from '../server/src/testing/testServer.ts';
import { createResource, randomSuffix } from './support.ts';

const LOINC = 'http://loinc.org';
const VITAL_SIGNS = {
  coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }],
};

export interface WardPatient {
  id: string;
  name: string;
  nhsNumber: string;
  alertIds: string[];
}

export interface ClinicianWard {
  clinician: TestPerson & { practitionerId: string };
  /** In the acuity order the worklist must show. */
  patients: WardPatient[];
  programmeTitle: string;
  suffix: string;
}

/** A vital sign taken `hoursAgo` (normal values: no alert rule would fire on them). */
function heartRate(patientId: string, hoursAgo: number, value: number): Observation {
  return {
    resourceType: 'Observation',
    status: 'final',
    category: [VITAL_SIGNS],
    code: { coding: [{ system: LOINC, code: '8867-4', display: 'Heart rate' }] },
    subject: { reference: `Patient/${patientId}` },
    effectiveDateTime: new Date(Date.now() - hoursAgo * 3_600_000).toISOString(),
    valueQuantity: { value, unit: 'beats/minute', system: 'http://unitsofmeasure.org', code: '/min' },
  };
}

function bloodPressure(patientId: string, hoursAgo: number, systolic: number, diastolic: number): Observation {
  const component = (code: string, value: number) => ({
    code: { coding: [{ system: LOINC, code }] },
    valueQuantity: { value, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' },
  });
  return {
    resourceType: 'Observation',
    status: 'final',
    category: [VITAL_SIGNS],
    code: { coding: [{ system: LOINC, code: '85354-9', display: 'Blood pressure panel' }] },
    subject: { reference: `Patient/${patientId}` },
    effectiveDateTime: new Date(Date.now() - hoursAgo * 3_600_000).toISOString(),
    component: [component('8480-6', systolic), component('8462-4', diastolic)],
  };
}

/** A NEWS2 total as the NEWS2 bot stores it (SNOMED code, valueInteger, RCP risk band), timed now. */
function news2(patientId: string, score: number, band: string): Observation {
  return {
    resourceType: 'Observation',
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'survey' }] }],
    code: { coding: [{ system: 'http://snomed.info/sct', code: '1104051000000101' }], text: 'NEWS2 total score' },
    subject: { reference: `Patient/${patientId}` },
    effectiveDateTime: new Date().toISOString(),
    valueInteger: score,
    interpretation: [{ coding: [{ system: 'http://rpm-platform.org/fhir/CodeSystem/rpm-news2-risk', code: band }] }],
  };
}

/** An open alert as the alert bots raise it (bots/src/alerts/buildAlert.ts). */
function alert(patientId: string, severity: 'high' | 'moderate', explanation: string): DetectedIssue {
  return buildAlert({
    patient: { reference: `Patient/${patientId}` },
    rule: severity === 'high' ? 'news2' : 'vital-sign-threshold',
    ...(severity === 'high' ? {} : { qualifier: '8867-4' }),
    severity,
    observations: [],
    explanation,
    identified: new Date(Date.now() - 10 * 60_000),
  });
}

/** A valid NHS number (Modulus 11) made from 9 random digits; retries the rare ones without a check digit. */
function nhsNumber(): string {
  for (;;) {
    const digits = Array.from({ length: 9 }, () => Math.floor(Math.random() * 10));
    const sum = digits.reduce((total, d, i) => total + d * (10 - i), 0);
    const check = 11 - (sum % 11);
    if (check === 10) {
      continue;
    }
    return [...digits, check === 11 ? 0 : check].join('');
  }
}

interface PatientPlan {
  given: string;
  alerts: ('high' | 'moderate')[];
  news2?: { score: number; band: string };
}

/**
 * A clinician (MFA enrolled) with four patients on their care teams, enrolled in one programme, in this acuity order:
 * red alert + NEWS2 7; amber alert + NEWS2 3; no alert + NEWS2 5 (medium); no alert + NEWS2 1.
 */
export async function createClinicianWard(ctx: TestServerContext): Promise<ClinicianWard> {
  const suffix = randomSuffix();
  const clinician = await createStaffPerson(ctx.server, { role: 'clinician' });
  const programmeTitle = `Heart failure programme ${suffix}`;
  const programme = await createResource<PlanDefinition>(ctx, {
    resourceType: 'PlanDefinition',
    url: `http://rpm-platform.org/fhir/PlanDefinition/e2e-heart-failure-${suffix}`,
    status: 'active',
    title: programmeTitle,
  });
  const plans: PatientPlan[] = [
    { given: 'Ruby', alerts: ['high'], news2: { score: 7, band: 'high' } },
    { given: 'Amber', alerts: ['moderate'], news2: { score: 3, band: 'low-medium' } },
    { given: 'Mona', alerts: [], news2: { score: 5, band: 'medium' } },
    { given: 'Lowen', alerts: [], news2: { score: 1, band: 'low' } },
  ];
  const patients: WardPatient[] = [];
  // Created least acute first, so that creation order cannot pass for acuity order.
  for (const plan of [...plans].reverse()) {
    const family = `Ward${suffix}`;
    const nhs = nhsNumber();
    const patient = await createResource<Patient>(ctx, {
      resourceType: 'Patient',
      identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: nhs }],
      name: [{ given: [plan.given], family }],
      gender: 'female',
      birthDate: '1950-06-15',
    });
    await createResource<CareTeam>(ctx, {
      resourceType: 'CareTeam',
      status: 'active',
      name: `Virtual ward team ${suffix}`,
      subject: { reference: `Patient/${patient.id}` },
      participant: [{ member: { reference: `Practitioner/${clinician.practitionerId}` } }],
    });
    await createResource<CarePlan>(ctx, {
      resourceType: 'CarePlan',
      status: 'active',
      intent: 'plan',
      subject: { reference: `Patient/${patient.id}` },
      instantiatesCanonical: [programme.url as string],
      period: { start: new Date(Date.now() - 7 * 86_400_000).toISOString() },
    });
    for (const [hoursAgo, value] of [
      [30, 70],
      [6, 74],
      [2, 78],
    ]) {
      await createResource(ctx, heartRate(patient.id, hoursAgo, value));
    }
    await createResource(ctx, bloodPressure(patient.id, 3, 132, 84));
    if (plan.news2) {
      await createResource(ctx, news2(patient.id, plan.news2.score, plan.news2.band));
    }
    const alertIds: string[] = [];
    for (const severity of plan.alerts) {
      const stored = await createResource(
        ctx,
        alert(patient.id, severity, severity === 'high' ? 'NEWS2 7: urgent response' : 'Heart rate above amber limit')
      );
      alertIds.push(stored.id);
    }
    patients.unshift({ id: patient.id, name: `${plan.given} ${family}`, nhsNumber: nhs, alertIds });
  }
  return { clinician, patients, programmeTitle, suffix };
}
