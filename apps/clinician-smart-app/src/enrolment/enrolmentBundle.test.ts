// The enrolment transaction: conditional creates, references between entries, the monitoring CarePlan's schedule.
import type { CarePlan, CareTeam, Patient, PlanDefinition } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import { ENROLMENT_SYSTEM, enrolledPatientId, enrolmentBundle } from './enrolmentBundle.ts';
import { defaultSchedule, parseTimes } from './schedule.ts';

const programme: PlanDefinition = {
  resourceType: 'PlanDefinition',
  status: 'active',
  url: 'http://rpm-platform.org/fhir/PlanDefinition/heart-failure',
  title: 'Heart failure remote monitoring',
  action: [
    {
      title: 'Daily weight',
      code: [{ coding: [{ system: 'http://loinc.org', code: '29463-7' }], text: 'Weight' }],
      timingTiming: { repeat: { frequency: 1, period: 1, periodUnit: 'd', timeOfDay: ['09:00:00'] } },
      extension: [
        {
          url: 'http://rpm-platform.org/fhir/StructureDefinition/rpm-reading-grace-period',
          valueDuration: { value: 3, unit: 'h', system: 'http://unitsofmeasure.org', code: 'h' },
        },
      ],
    },
  ],
};

describe('enrolmentBundle', () => {
  test('Patient, CareTeam and CarePlan in one transaction, linked by fullUrl, each a conditional create', () => {
    const schedule = defaultSchedule(programme);
    schedule[0].times = parseTimes('18:00, 8:30').times;
    const bundle = enrolmentBundle({
      nhsNumber: '943 476 5919',
      given: ' Ada ',
      family: 'Lovelace',
      birthDate: '1950-06-15',
      gender: 'female',
      phone: '07700 900123',
      email: '',
      programme,
      schedule,
      organization: 'Organization/org',
      clinician: 'Practitioner/me',
      colleagues: ['Practitioner/other', 'Practitioner/me'],
      key: 'form-1',
      now: new Date('2026-01-01T10:00:00Z'),
    });
    expect(bundle.type).toBe('transaction');
    const [p, t, c] = bundle.entry ?? [];
    const patient = p.resource as Patient;
    expect(p.request).toEqual({
      method: 'POST',
      url: 'Patient',
      ifNoneExist: 'identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919',
    });
    expect(patient.identifier?.[0].value).toBe('9434765919');
    expect(patient.name?.[0]).toMatchObject({ given: ['Ada'], family: 'Lovelace' });
    expect(patient.telecom).toEqual([{ system: 'phone', value: '07700 900123', use: 'mobile' }]);
    expect(patient.managingOrganization?.reference).toBe('Organization/org');

    const team = t.resource as CareTeam;
    expect(t.request?.ifNoneExist).toBe(`identifier=${ENROLMENT_SYSTEM}|form-1`);
    expect(team.subject?.reference).toBe(p.fullUrl);
    expect(team.participant?.map((x) => x.member?.reference)).toEqual(['Practitioner/me', 'Practitioner/other']);

    const plan = c.resource as CarePlan;
    expect(plan.meta?.profile).toEqual(['http://rpm-platform.org/fhir/StructureDefinition/rpm-monitoring-careplan']);
    expect(plan.instantiatesCanonical).toEqual([programme.url]);
    expect(plan.subject?.reference).toBe(p.fullUrl);
    expect(plan.careTeam?.[0].reference).toBe(t.fullUrl);
    expect(plan.period?.start).toBe('2026-01-01T10:00:00.000Z');
    expect(plan.activity?.[0].detail?.scheduledTiming?.repeat).toEqual({
      frequency: 2,
      period: 1,
      periodUnit: 'd',
      timeOfDay: ['08:30:00', '18:00:00'],
    });
    expect(plan.activity?.[0].detail?.extension?.[0].valueDuration?.value).toBe(3);
  });

  test('times are checked in plain words; the answer gives the patient id', () => {
    expect(parseTimes('9:00').times).toEqual(['09:00']);
    expect(parseTimes('25:00').problem).toMatch(/not a time/);
    expect(parseTimes(' ').problem).toMatch(/at least one time/);
    expect(
      enrolledPatientId({
        resourceType: 'Bundle',
        type: 'transaction-response',
        entry: [{ response: { status: '201 Created', location: 'Patient/abc/_history/1' } }],
      })
    ).toBe('abc');
  });
});
