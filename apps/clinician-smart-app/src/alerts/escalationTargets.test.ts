// Escalation choices: care team members and on-call roles by name, each once, never the clinician themself.
import type { Resource } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import { escalationTargets } from './escalationTargets.ts';

const resources: Resource[] = [
  {
    resourceType: 'CareTeam',
    participant: [
      { member: { reference: 'Practitioner/me' } },
      { member: { reference: 'Practitioner/b' } },
      { member: { reference: 'Practitioner/a' } },
      { member: { reference: 'Patient/p' } },
    ],
  },
  { resourceType: 'Practitioner', id: 'a', name: [{ prefix: ['Dr'], given: ['Asha'], family: 'Patel' }] },
  { resourceType: 'Practitioner', id: 'b', name: [{ given: ['Ben'], family: 'Ode' }] },
  {
    resourceType: 'PractitionerRole',
    id: 'on-call',
    code: [{ text: 'On-call registrar' }],
    practitioner: { reference: 'Practitioner/a' },
  },
  {
    resourceType: 'PractitionerRole',
    id: 'mine',
    code: [{ text: 'Ward nurse' }],
    practitioner: { reference: 'Practitioner/me' },
  },
];

describe('escalationTargets', () => {
  test('care team people by name, then roles with their holder; the clinician is left out', () => {
    expect(escalationTargets(resources, 'Practitioner/me')).toEqual([
      { reference: 'Practitioner/b', label: 'Ben Ode' },
      { reference: 'Practitioner/a', label: 'Dr Asha Patel' },
      { reference: 'PractitionerRole/on-call', label: 'On-call registrar — Dr Asha Patel' },
    ]);
  });

  test('a member whose Practitioner was not included is shown by reference', () => {
    expect(
      escalationTargets(
        [{ resourceType: 'CareTeam', participant: [{ member: { reference: 'Practitioner/x' } }] }],
        undefined
      )
    ).toEqual([{ reference: 'Practitioner/x', label: 'Practitioner/x' }]);
  });
});
