// Write-path validation: base definition (400) and project profiles (422), with the issues a client sees.
import { beforeAll, describe, expect, test } from 'vitest';
import { getStatus, OperationOutcomeError } from '@medplum/core';
import type { Observation, OperationOutcome, Resource } from '@medplum/fhirtypes';
import { readExample, registerProjectConformance, RPM_VITAL_SIGN } from './testConformance.ts';
import { validateResourceDetailed, validateResourceForWrite } from './validateResource.ts';

beforeAll(() => registerProjectConformance());

/** The outcome validateResourceForWrite throws, or undefined when it accepts. */
function rejection(resource: unknown): OperationOutcome | undefined {
  try {
    validateResourceForWrite(resource as Resource);
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(OperationOutcomeError);
    return (err as OperationOutcomeError).outcome;
  }
}

/** "text @ expression" per issue, without the " (profile url)" suffix profile issues carry. */
function texts(outcome: OperationOutcome | undefined): string[] {
  return (outcome?.issue ?? []).map(
    (i) => `${i.details?.text?.replace(` (profile ${RPM_VITAL_SIGN})`, '')} @ ${i.expression?.join(',')}`
  );
}

function expectRejected(resource: unknown, status: number, ...messages: RegExp[]): OperationOutcome {
  const outcome = rejection(resource);
  expect(outcome, 'expected a rejection').toBeDefined();
  expect(getStatus(outcome as OperationOutcome)).toBe(status);
  for (const message of messages) {
    expect(texts(outcome)).toContainEqual(expect.stringMatching(message));
  }
  return outcome as OperationOutcome;
}

const heartRate = (): Observation => readExample('heart-rate');
const bloodPressure = (): Observation => readExample('blood-pressure');
const plain = (): Observation => {
  const { meta: _meta, ...rest } = heartRate();
  return rest;
};

describe('base definition (400 Bad Request)', () => {
  test('accepts valid resources with and without the profile', () => {
    expect(rejection(heartRate())).toBeUndefined();
    expect(rejection(bloodPressure())).toBeUndefined();
    expect(rejection(plain())).toBeUndefined();
    expect(rejection({ resourceType: 'Patient', gender: 'female', birthDate: '1950-02-03' })).toBeUndefined();
  });

  test('a wrong JSON type', () => {
    expectRejected(
      { ...plain(), status: 5 },
      400,
      /Invalid JSON type: expected string, but got number @ Observation.status/
    );
  });

  test('an unknown element', () => {
    expectRejected({ ...plain(), colour: 'red' }, 400, /Invalid additional property "colour" @ Observation.colour/);
  });

  test('a missing required element', () => {
    const { code: _code, ...withoutCode } = plain();
    expectRejected(withoutCode, 400, /Missing required property @ Observation.code/);
  });

  test('a resourceType that does not exist, or none', () => {
    expectRejected({ resourceType: 'Vitals', value: 1 }, 400, /Invalid resource type/);
    expectRejected({ status: 'final' }, 400, /Invalid resource type/);
    expectRejected('Patient', 400, /must be a JSON object/);
  });

  test('a code outside a required binding of the base specification', () => {
    expectRejected(
      { ...plain(), status: 'done' },
      400,
      /Value "done" is not in the required value set http:\/\/hl7.org\/fhir\/ValueSet\/observation-status @ Observation.status/
    );
    expectRejected({ resourceType: 'Patient', gender: 'x' }, 400, /administrative-gender @ Patient.gender/);
    expectRejected(
      { ...plain(), valueQuantity: { value: 1, comparator: '<<', system: 'http://unitsofmeasure.org', code: '/min' } },
      400,
      /quantity-comparator/
    );
  });

  test('malformed primitives, nulls and invariants', () => {
    expectRejected({ ...plain(), effectiveDateTime: 'yesterday' }, 400, /Invalid dateTime format/);
    expectRejected({ ...plain(), issued: null }, 400, /Invalid null value @ Observation.issued/);
    expectRejected({ ...plain(), dataAbsentReason: { text: 'error' } }, 400, /Constraint obs-6 not met/);
  });

  test('reports every issue at once, profile issues included', () => {
    const outcome = expectRejected(
      { ...heartRate(), status: 7, colour: 'red', subject: { reference: 'Group/1' } },
      400,
      /Invalid JSON type/,
      /Invalid additional property "colour"/,
      /rpm-vs-1/
    );
    expect(outcome.issue.length).toBeGreaterThanOrEqual(3);
  });

  test('warnings alone do not block a write', () => {
    const issues = validateResourceDetailed({ ...plain(), subject: { reference: 'Group/1' } } as Observation);
    expect(issues.baseIssues.filter((i) => i.severity === 'error')).toEqual([]);
  });
});

describe('RPM vital-sign profile (422 Unprocessable Entity)', () => {
  test('a code outside the RPM vital-sign value set', () => {
    expectRejected(
      { ...heartRate(), code: { coding: [{ system: 'http://loinc.org', code: '8302-2', display: 'Body height' }] } },
      422,
      /\(http:\/\/loinc.org\|8302-2\) is not in the required value set http:\/\/rpm-platform.org\/fhir\/ValueSet\/rpm-vital-signs/
    );
  });

  test('a unit that is not UCUM, not ours, or does not fit the measure', () => {
    const hr = heartRate();
    expectRejected(
      { ...hr, valueQuantity: { ...hr.valueQuantity, system: 'http://example.org' } },
      422,
      /Value did not match expected pattern @ Observation.value\[x\].system/
    );
    expectRejected(
      { ...hr, valueQuantity: { ...hr.valueQuantity, code: 'bpm' } },
      422,
      /"bpm" is not in the required value set .*rpm-vital-sign-units/
    );
    expectRejected(
      { ...hr, valueQuantity: { ...hr.valueQuantity, code: '%' } },
      422,
      /rpm-vs-6 not met: Heart rate .* SHALL be in \/min/
    );
    expectRejected(
      { ...hr, valueQuantity: { value: 72, unit: '/min' } },
      422,
      /Missing required property @ Observation.value\[x\].system/
    );
  });

  test('subject must be a literal Patient reference', () => {
    expectRejected({ ...heartRate(), subject: { reference: 'Group/1' } }, 422, /rpm-vs-1 not met/);
    expectRejected(
      { ...heartRate(), subject: { display: 'Jane' } },
      422,
      /Missing required property @ Observation.subject.reference/
    );
    const { subject: _subject, ...withoutSubject } = heartRate();
    expectRejected(withoutSubject, 422, /Missing required property @ Observation.subject/);
    expect(rejection({ ...heartRate(), subject: { reference: 'https://rpm.example/fhir/Patient/1' } })).toBeUndefined();
  });

  test('effectiveDateTime is required', () => {
    const { effectiveDateTime: _time, ...withoutTime } = heartRate();
    expectRejected(withoutTime, 422, /Missing required property @ Observation.effective\[x\]/);
    expectRejected(
      { ...withoutTime, effectivePeriod: { start: '2024-04-17T20:41:59Z' } },
      422,
      /rpm-vs-2 not met: effective\[x\] SHALL be a dateTime/
    );
  });

  test('values are quantities', () => {
    const { valueQuantity: _value, ...withoutValue } = heartRate();
    expectRejected({ ...withoutValue, valueString: '72' }, 422, /rpm-vs-3 not met/);
    expectRejected(withoutValue, 422, /vs-2 not met/);
    expect(
      rejection({
        ...withoutValue,
        dataAbsentReason: {
          coding: [{ system: 'http://terminology.hl7.org/CodeSystem/data-absent-reason', code: 'not-a-number' }],
        },
      })
    ).toBeUndefined();
  });

  test('the vital-signs category is required', () => {
    expectRejected({ ...heartRate(), category: undefined }, 422, /Missing required property @ Observation.category/);
    expectRejected(
      {
        ...heartRate(),
        category: [
          { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] },
        ],
      },
      422,
      /slice 'VSCat'/
    );
  });

  test('a blood pressure panel needs systolic and diastolic components in mm[Hg]', () => {
    const bp = bloodPressure();
    const [systolic, diastolic] = bp.component ?? [];
    expectRejected({ ...bp, component: [systolic] }, 422, /rpm-vs-4 not met/);
    expectRejected(
      {
        ...bp,
        component: [
          systolic,
          { ...diastolic, valueQuantity: { value: 88, system: 'http://unitsofmeasure.org', code: 'kg' } },
        ],
      },
      422,
      /rpm-vs-12 not met/
    );
    expectRejected(
      { ...bp, component: [systolic, diastolic, { code: { text: 'cuff' }, valueString: 'adult' }] },
      422,
      /rpm-vs-11 not met/
    );
  });

  test('profile issues name the profile', () => {
    const outcome = expectRejected({ ...heartRate(), category: undefined }, 422);
    expect(outcome.issue[0].details?.text).toBe(`Missing required property (profile ${RPM_VITAL_SIGN})`);
    expect(outcome.issue[0].severity).toBe('error');
  });

  test('a profile for another resource type', () => {
    expectRejected(
      { resourceType: 'Patient', meta: { profile: [RPM_VITAL_SIGN] } },
      422,
      /constrains Observation, not Patient/
    );
  });

  test('profiles the server does not know are accepted without validation', () => {
    const resource = {
      ...plain(),
      meta: { profile: ['http://hl7.org/fhir/uv/phd/StructureDefinition/PhdNumericObservation'] },
    };
    expect(rejection(resource)).toBeUndefined();
    expect(validateResourceDetailed(resource).unknownProfiles).toEqual([
      'http://hl7.org/fhir/uv/phd/StructureDefinition/PhdNumericObservation',
    ]);
  });
});
