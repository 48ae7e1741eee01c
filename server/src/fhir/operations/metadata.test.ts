// GET metadata: route precedence, and a CapabilityStatement that is valid and says what the server does.
import { beforeAll, describe, expect, test } from 'vitest';
import type { CapabilityStatement, CapabilityStatementRestResource } from '@medplum/fhirtypes';
import { validateResourceDetailed } from '../conformance/validateResource.ts';
import { RPM_VITAL_SIGN } from '../conformance/testConformance.ts';
import { getR4ResourceTypes } from '../conformance/baseDefinitions.ts';
import { metadataHandler } from './metadata.ts';
import { createTestRouter, TEST_OPTIONS } from './testRouter.ts';

let statement: CapabilityStatement;
let setup: Awaited<ReturnType<typeof createTestRouter>>;

beforeAll(async () => {
  setup = await createTestRouter();
  const response = await setup.call('GET', 'metadata');
  expect(response.status).toBe(200);
  statement = response.body as CapabilityStatement;
});

const resource = (type: string): CapabilityStatementRestResource =>
  statement.rest?.[0].resource?.find((r) => r.type === type) as CapabilityStatementRestResource;

describe('GET metadata', () => {
  test('the literal metadata route wins over GET [type]', () => {
    const found = setup.router.find('GET', 'metadata');
    expect(found?.params).toEqual({});
    expect(found?.handler).not.toBe(setup.router.find('GET', 'Patient')?.handler);
    expect(setup.router.find('GET', 'Patient/$validate')).toMatchObject({
      params: { resourceType: 'Patient', id: '$validate' },
    });
    expect(setup.router.find('POST', 'Patient/123/$validate')?.params).toEqual({ resourceType: 'Patient', id: '123' });
    expect(setup.router.find('GET', 'ValueSet/abc/$expand')?.params).toEqual({ id: 'abc' });
  });

  test('is a valid R4 CapabilityStatement', () => {
    const report = validateResourceDetailed(statement);
    expect(report.baseIssues.filter((i) => i.severity === 'error')).toEqual([]);
    expect(statement).toMatchObject({
      resourceType: 'CapabilityStatement',
      status: 'active',
      kind: 'instance',
      fhirVersion: '4.0.1',
      format: ['application/fhir+json', 'json'],
      implementation: { url: TEST_OPTIONS.fhirBaseUrl },
      software: { name: 'RPM Platform FHIR server', version: expect.stringMatching(/^\d+\.\d+\.\d+/) },
    });
    expect(statement.rest).toHaveLength(1);
    expect(statement.rest?.[0].mode).toBe('server');
  });

  test('security: SMART service with only the token endpoint', () => {
    const security = statement.rest?.[0].security;
    expect(security?.service?.[0].coding?.[0]).toMatchObject({ code: 'SMART-on-FHIR' });
    const oauth = security?.extension?.find(
      (e) => e.url === 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris'
    );
    expect(oauth?.extension).toEqual([{ url: 'token', valueUri: TEST_OPTIONS.tokenUrl }]);
  });

  test('every R4 resource type, with the interactions and policies the router serves', () => {
    const types = statement.rest?.[0].resource?.map((r) => r.type);
    expect(types).toEqual(getR4ResourceTypes());
    expect(types).toEqual(
      expect.arrayContaining(['Patient', 'Observation', 'Device', 'Bundle', 'ValueSet', 'MeasureReport'])
    );
    expect(types).not.toContain('Project');
    expect(types).toHaveLength(146);
    expect(types).not.toContain('SubscriptionStatus');
    for (const r of statement.rest?.[0].resource ?? []) {
      expect(r.interaction?.map((i) => i.code)).toEqual([
        'read',
        'vread',
        'update',
        'patch',
        'delete',
        'history-instance',
        'history-type',
        'create',
        'search-type',
      ]);
      expect(r).toMatchObject({
        versioning: 'versioned-update',
        readHistory: true,
        updateCreate: true,
        conditionalCreate: true,
        conditionalUpdate: true,
        conditionalDelete: 'single',
        conditionalRead: 'not-supported',
        referencePolicy: ['literal'],
      });
    }
    expect(statement.rest?.[0].interaction?.map((i) => i.code)).toEqual(['transaction', 'batch', 'history-system']);
  });

  test('search parameters, includes and revincludes come from the loaded SearchParameters', () => {
    const observation = resource('Observation');
    expect(observation.searchParam).toContainEqual({
      name: 'component-code-value-quantity',
      definition: 'http://hl7.org/fhir/SearchParameter/Observation-component-code-value-quantity',
      type: 'composite',
    });
    expect(observation.searchParam).toContainEqual({
      name: '_id',
      definition: 'http://hl7.org/fhir/SearchParameter/Resource-id',
      type: 'token',
    });
    expect(observation.searchParam?.map((p) => p.name)).not.toContain('_project');
    expect(observation.searchParam?.map((p) => p.name)).not.toContain('_compartment');
    expect(observation.searchInclude).toContain('Observation:subject');
    expect(resource('Patient').searchRevInclude).toContain('Observation:subject');
  });

  test('profiles and operations', () => {
    expect(resource('Observation').supportedProfile).toEqual([RPM_VITAL_SIGN]);
    expect(resource('Observation').profile).toBe('http://hl7.org/fhir/StructureDefinition/Observation');
    expect(resource('Patient').supportedProfile).toBeUndefined();
    expect(resource('ValueSet').operation).toEqual([
      { name: 'expand', definition: 'http://hl7.org/fhir/OperationDefinition/ValueSet-expand' },
    ]);
    expect(statement.rest?.[0].operation).toEqual([
      { name: 'validate', definition: 'http://hl7.org/fhir/OperationDefinition/Resource-validate' },
    ]);
  });

  test('the handler caches the statement', async () => {
    const handler = metadataHandler(TEST_OPTIONS);
    const [, first] = await handler(
      { method: 'GET', url: 'metadata', pathname: '', body: undefined, params: {}, query: {} },
      setup.repo,
      setup.router
    );
    const [, second] = await handler(
      { method: 'GET', url: 'metadata', pathname: '', body: undefined, params: {}, query: {} },
      setup.repo,
      setup.router
    );
    expect(second).toBe(first);
    expect(JSON.stringify(first).length).toBeLessThan(3_000_000);
  });
});
