// $validate: bodies (resource or Parameters), modes, profiles, and the 200/400/404 answers.
import { beforeAll, describe, expect, test } from 'vitest';
import type { Observation, OperationOutcome } from '@medplum/fhirtypes';
import { readExample, RPM_VITAL_SIGN } from '../conformance/testConformance.ts';
import { createTestRouter } from './testRouter.ts';
import type { TestResponse } from './testRouter.ts';

let call: Awaited<ReturnType<typeof createTestRouter>>['call'];
let repo: Awaited<ReturnType<typeof createTestRouter>>['repo'];

beforeAll(async () => {
  ({ call, repo } = await createTestRouter());
});

/** The heart-rate example without meta.profile and id. */
const plain = (): Observation => {
  const { meta: _meta, id: _id, ...rest } = readExample('heart-rate');
  return rest;
};

function issues(response: TestResponse): string[] {
  expect(response.body?.resourceType).toBe('OperationOutcome');
  return (response.body as OperationOutcome).issue.map((i) => `${i.severity}: ${i.details?.text}`);
}

function errorText(response: TestResponse): string {
  return response.outcome.issue.map((i) => i.details?.text).join('; ');
}

describe('POST [type]/$validate', () => {
  test('a valid resource: 200 with an "All OK" information issue', async () => {
    const response = await call('POST', 'Observation/$validate', readExample('heart-rate'));
    expect(response.status).toBe(200);
    expect(issues(response)).toEqual(['information: All OK']);
  });

  test('an invalid resource: still 200, with every issue', async () => {
    const response = await call('POST', 'Observation/$validate', {
      ...readExample('heart-rate'),
      status: 'done',
      colour: 1,
    });
    expect(response.status).toBe(200);
    expect(issues(response)).toEqual(
      expect.arrayContaining([
        'error: Invalid additional property "colour"',
        'error: Value "done" is not in the required value set http://hl7.org/fhir/ValueSet/observation-status',
      ])
    );
  });

  test('a Parameters body with resource and profile validates against that profile', async () => {
    const body = {
      resourceType: 'Parameters',
      parameter: [
        { name: 'resource', resource: { ...plain(), subject: { reference: 'Group/1' } } },
        { name: 'profile', valueCanonical: RPM_VITAL_SIGN },
      ],
    };
    const response = await call('POST', 'Observation/$validate', body);
    expect(response.status).toBe(200);
    expect(issues(response)).toContainEqual(expect.stringMatching(/^error: Constraint rpm-vs-1 not met/));
    const withoutProfile = await call('POST', 'Observation/$validate', { ...body, parameter: [body.parameter[0]] });
    expect(issues(withoutProfile)).not.toContainEqual(expect.stringMatching(/rpm-vs-1/));
  });

  test('profile and mode may come from the query string', async () => {
    const response = await call(
      'POST',
      `Observation/$validate?mode=profile&profile=${encodeURIComponent(RPM_VITAL_SIGN)}`,
      { ...plain(), category: undefined }
    );
    expect(issues(response)).toContainEqual(expect.stringMatching(/^error: Missing required property \(profile/));
  });

  test('an unknown meta.profile is a warning', async () => {
    const response = await call('POST', 'Observation/$validate', {
      ...plain(),
      meta: { profile: ['http://example.org/p'] },
    });
    expect(issues(response)).toEqual([
      'warning: Profile http://example.org/p is not known to this server; not validated against it',
    ]);
  });

  test('mode=create warns that an id is ignored', async () => {
    const response = await call('POST', 'Observation/$validate?mode=create', { ...plain(), id: 'abc' });
    expect(issues(response)).toEqual(['warning: The server assigns the id on create; this id would be ignored']);
  });

  test('mode=update needs an id that matches the URL', async () => {
    const noId = await call('POST', 'Observation/$validate?mode=update', plain());
    expect(issues(noId)).toEqual(['error: An update needs the resource id']);
    const mismatch = await call('POST', 'Observation/abc/$validate?mode=update', { ...plain(), id: 'xyz' });
    expect(issues(mismatch)).toEqual(['error: Resource id xyz does not match the id abc in the URL']);
    const ok = await call('POST', 'Observation/abc/$validate', { ...plain(), id: 'abc' });
    expect(issues(ok)).toEqual(['information: All OK']);
  });

  test('mode=delete: All OK for an existing resource, 404 for a missing one, 400 without an id', async () => {
    const stored = await repo.createResource(plain());
    const body = { resourceType: 'Parameters', parameter: [{ name: 'mode', valueCode: 'delete' }] };
    const ok = await call('POST', `Observation/${stored.id}/$validate`, body);
    expect(ok.status).toBe(200);
    expect(issues(ok)).toEqual(['information: All OK: the resource can be deleted']);
    expect((await call('POST', 'Observation/missing/$validate', body)).status).toBe(404);
    expect((await call('POST', 'Observation/$validate', body)).status).toBe(400);
  });

  test('validates a Parameters resource posted to Parameters/$validate', async () => {
    const response = await call('POST', 'Parameters/$validate', {
      resourceType: 'Parameters',
      parameter: [{ name: 'x', valueString: 'y' }],
    });
    expect(issues(response)).toEqual(['information: All OK']);
  });

  test.each([
    ['no body', undefined, /No resource to validate/],
    [
      'a Parameters without resource',
      { resourceType: 'Parameters', parameter: [{ name: 'mode', valueCode: 'create' }] },
      /No resource to validate/,
    ],
    ['a resource of another type', { resourceType: 'Patient' }, /Resource type Patient does not match Observation/],
    [
      'an unknown mode',
      {
        resourceType: 'Parameters',
        parameter: [
          { name: 'mode', valueCode: 'merge' },
          { name: 'resource', resource: { resourceType: 'Observation' } },
        ],
      },
      /Unknown mode "merge"/,
    ],
    [
      'mode=profile without profile',
      {
        resourceType: 'Parameters',
        parameter: [
          { name: 'mode', valueCode: 'profile' },
          { name: 'resource', resource: { resourceType: 'Observation' } },
        ],
      },
      /needs a "profile"/,
    ],
    [
      'an unknown profile parameter',
      {
        resourceType: 'Parameters',
        parameter: [
          { name: 'profile', valueUri: 'http://example.org/p' },
          { name: 'resource', resource: { resourceType: 'Observation' } },
        ],
      },
      /not known to this server/,
    ],
  ])('400 when validation cannot be performed: %s', async (_name, body, message) => {
    const response = await call('POST', 'Observation/$validate', body);
    expect(response.status).toBe(400);
    expect(errorText(response)).toMatch(message);
  });

  test('404 for an unknown resource type', async () => {
    const response = await call('POST', 'Vitals/$validate', { resourceType: 'Vitals' });
    expect(response.status).toBe(404);
    expect(errorText(response)).toBe('Unknown resource type Vitals');
  });
});
