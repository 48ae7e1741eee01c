// caseloadChanged: the light check of the Practitioner's care teams against the worklist's patients.
import type { MedplumClient } from '@medplum/core';
import type { Bundle } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import { caseloadChanged, type WorklistRow } from './loadCaseload.ts';

const row = (id: string): WorklistRow => ({ patient: { resourceType: 'Patient', id }, acuity: { openAlerts: 0 } });

/** A client whose CareTeam search answers teams with these subjects, recording what it was asked. */
function teamsOf(...subjects: string[]): { medplum: MedplumClient; asked: unknown[] } {
  const asked: unknown[] = [];
  const bundle: Bundle = {
    resourceType: 'Bundle',
    type: 'searchset',
    entry: subjects.map((s) => ({ resource: { resourceType: 'CareTeam', subject: { reference: s } } })),
  };
  const medplum = {
    search: async (...args: unknown[]) => {
      asked.push(args);
      return bundle;
    },
  } as unknown as MedplumClient;
  return { medplum, asked };
}

describe('caseloadChanged', () => {
  test('the same patients (two teams for one patient too): unchanged; one searched with subjects only', async () => {
    const { medplum, asked } = teamsOf('Patient/a', 'Patient/b', 'Patient/b');
    expect(await caseloadChanged(medplum, 'Practitioner/p', [row('b'), row('a')])).toBe(false);
    expect(asked).toEqual([
      ['CareTeam', { participant: 'Practitioner/p', status: 'active', _elements: 'subject', _count: '1000' }],
    ]);
  });

  test('a patient joined, left, or was replaced: changed', async () => {
    expect(await caseloadChanged(teamsOf('Patient/a', 'Patient/c').medplum, 'Practitioner/p', [row('a')])).toBe(true);
    expect(await caseloadChanged(teamsOf('Patient/a').medplum, 'Practitioner/p', [row('a'), row('b')])).toBe(true);
    expect(await caseloadChanged(teamsOf('Patient/c').medplum, 'Practitioner/p', [row('a')])).toBe(true);
  });

  test('a user who is not a Practitioner has no care-team caseload: never a search', async () => {
    const { medplum, asked } = teamsOf('Patient/a');
    expect(await caseloadChanged(medplum, 'Patient/x', [row('b')])).toBe(false);
    expect(asked).toEqual([]);
  });
});
