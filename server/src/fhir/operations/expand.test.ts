// ValueSet/$expand: by url, by id, inline, POST Parameters; filter and paging; 404 and 400 answers.
import { beforeAll, describe, expect, test } from 'vitest';
import type { ValueSet } from '@medplum/fhirtypes';
import { RPM_VITAL_SIGNS_VS } from '../conformance/testConformance.ts';
import { createTestRouter } from './testRouter.ts';
import type { TestResponse } from './testRouter.ts';

let call: Awaited<ReturnType<typeof createTestRouter>>['call'];
let repo: Awaited<ReturnType<typeof createTestRouter>>['repo'];

beforeAll(async () => {
  ({ call, repo } = await createTestRouter());
});

const url = encodeURIComponent(RPM_VITAL_SIGNS_VS);

function codes(response: TestResponse): string[] {
  expect(response.status).toBe(200);
  return ((response.body as ValueSet).expansion?.contains ?? []).map((c) => c.code as string);
}

describe('ValueSet/$expand', () => {
  test('GET by url returns the value set with its expansion', async () => {
    const response = await call('GET', `ValueSet/$expand?url=${url}`);
    const valueSet = response.body as ValueSet;
    expect(valueSet).toMatchObject({
      resourceType: 'ValueSet',
      url: RPM_VITAL_SIGNS_VS,
      expansion: { total: 11, offset: 0 },
    });
    expect(valueSet.compose).toBeUndefined();
    expect(codes(response)).toContain('59408-5');
  });

  test('filter and paging', async () => {
    expect(codes(await call('GET', `ValueSet/$expand?url=${url}&filter=oxygen`))).toEqual(['2708-6', '59408-5']);
    const page = await call('GET', `ValueSet/$expand?url=${url}&filter=blood&offset=1&count=2`);
    expect(codes(page)).toEqual(['8480-6', '8462-4']);
    expect((page.body as ValueSet).expansion).toMatchObject({ total: 7, offset: 1 });
  });

  test('GET ValueSet/[id]/$expand reads the stored value set', async () => {
    expect(codes(await call('GET', 'ValueSet/rpm-vital-sign-units/$expand?filter=MERCURY'))).toEqual(['mm[Hg]']);
  });

  test('POST with Parameters: url, or an inline valueSet', async () => {
    const byUrl = await call('POST', 'ValueSet/$expand', {
      resourceType: 'Parameters',
      parameter: [
        { name: 'url', valueUri: RPM_VITAL_SIGNS_VS },
        { name: 'count', valueInteger: 1 },
      ],
    });
    expect(codes(byUrl)).toEqual(['85354-9']);
    const inline = await call('POST', 'ValueSet/$expand', {
      resourceType: 'Parameters',
      parameter: [
        {
          name: 'valueSet',
          resource: {
            resourceType: 'ValueSet',
            status: 'active',
            compose: { include: [{ valueSet: [RPM_VITAL_SIGNS_VS] }] },
          },
        },
        { name: 'filter', valueString: 'weight' },
      ],
    });
    expect(codes(inline)).toEqual(['29463-7']);
  });

  test('FHIR R4 value sets are available too', async () => {
    const response = await call(
      'GET',
      `ValueSet/$expand?url=${encodeURIComponent('http://hl7.org/fhir/ValueSet/administrative-gender')}`
    );
    expect(codes(response)).toEqual(['male', 'female', 'other', 'unknown']);
  });

  test('value sets and code systems stored in the repository', async () => {
    await repo.createResource({
      resourceType: 'CodeSystem',
      url: 'http://example.org/cs/cuff',
      status: 'active',
      content: 'complete',
      concept: [
        { code: 'adult', display: 'Adult cuff', concept: [{ code: 'adult-large', display: 'Large adult cuff' }] },
      ],
    });
    await repo.createResource({
      resourceType: 'ValueSet',
      url: 'http://example.org/vs/cuff',
      status: 'active',
      compose: { include: [{ system: 'http://example.org/cs/cuff' }] },
    });
    expect(codes(await call('GET', 'ValueSet/$expand?url=http://example.org/vs/cuff'))).toEqual([
      'adult',
      'adult-large',
    ]);
  });

  test('404 for an unknown url or id', async () => {
    const unknownUrl = await call('GET', 'ValueSet/$expand?url=http://example.org/ValueSet/none');
    expect(unknownUrl.status).toBe(404);
    expect(unknownUrl.outcome.issue[0].details?.text).toBe('Value set http://example.org/ValueSet/none not found');
    expect((await call('GET', 'ValueSet/none/$expand')).status).toBe(404);
  });

  test.each([
    ['no url, id or valueSet', 'ValueSet/$expand', /Give the value set/],
    ['a negative offset', `ValueSet/$expand?url=${url}&offset=-1`, /"offset" must be a non-negative integer/],
    ['a count that is not a number', `ValueSet/$expand?url=${url}&count=ten`, /"count" must be a non-negative integer/],
  ])('400 for %s', async (_name, path, message) => {
    const response = await call('GET', path);
    expect(response.status).toBe(400);
    expect(response.outcome.issue[0].details?.text).toMatch(message);
  });

  test('400 not-supported for a value set that needs terminology the server lacks', async () => {
    const response = await call('POST', 'ValueSet/$expand', {
      resourceType: 'Parameters',
      parameter: [
        {
          name: 'valueSet',
          resource: {
            resourceType: 'ValueSet',
            status: 'active',
            compose: { include: [{ system: 'http://loinc.org' }] },
          },
        },
      ],
    });
    expect(response.status).toBe(400);
    expect(response.outcome.issue[0]).toMatchObject({ code: 'not-supported' });
  });
});
