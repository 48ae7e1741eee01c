// GET /metadata: a CapabilityStatement generated from what the server supports (resource types, interactions, search parameters, profiles).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { allOk, getSearchParameters } from '@medplum/core';
import type { FhirRequest, FhirRepository, FhirResponse, FhirRouteHandler } from '@medplum/fhir-router';
import type {
  CapabilityStatement,
  CapabilityStatementRestResource,
  CapabilityStatementRestResourceSearchParam,
  SearchParameter,
} from '@medplum/fhirtypes';
import { REPO_ROOT } from '../../config.ts';
import { loadFhirDefinitions } from '../definitions.ts';
import { getR4ResourceTypes } from '../conformance/baseDefinitions.ts';
import { getProfiles, getRegistryGeneration } from '../conformance/registry.ts';

export interface CapabilityOptions {
  /** Public base URL of the server, e.g. http://localhost:8103 */
  baseUrl: string;
  /** FHIR base URL, e.g. http://localhost:8103/fhir/R4 */
  fhirBaseUrl: string;
  /** OAuth 2.0 token endpoint, e.g. http://localhost:8103/oauth2/token */
  tokenUrl: string;
  /** SMART App Launch endpoints, when the authorization server offers them. */
  authorizeUrl?: string;
  introspectUrl?: string;
  revokeUrl?: string;
  registerUrl?: string;
}

/** The SMART oauth-uris extension: every endpoint the authorization server offers. */
function oauthUris(options: CapabilityOptions): { url: string; valueUri: string }[] {
  const uris = [
    ['token', options.tokenUrl],
    ['authorize', options.authorizeUrl],
    ['introspect', options.introspectUrl],
    ['revoke', options.revokeUrl],
    ['register', options.registerUrl],
  ] as const;
  return uris.filter(([, uri]) => uri).map(([url, uri]) => ({ url, valueUri: uri as string }));
}

const TYPE_INTERACTIONS = [
  'read',
  'vread',
  'update',
  'patch',
  'delete',
  'history-instance',
  'history-type',
  'create',
  'search-type',
] as const;
/** search-system (`GET /?_type=`) is not offered: searches name one resource type. */
const SYSTEM_INTERACTIONS = ['transaction', 'batch', 'history-system'] as const;

/** Search parameters every resource has; @medplum/core indexes them without a url. */
const RESOURCE_PARAMETER_URLS: Record<string, string> = {
  _id: 'http://hl7.org/fhir/SearchParameter/Resource-id',
  _lastUpdated: 'http://hl7.org/fhir/SearchParameter/Resource-lastUpdated',
  _profile: 'http://hl7.org/fhir/SearchParameter/Resource-profile',
  _security: 'http://hl7.org/fhir/SearchParameter/Resource-security',
  _source: 'http://hl7.org/fhir/SearchParameter/Resource-source',
  _tag: 'http://hl7.org/fhir/SearchParameter/Resource-tag',
};

/** Medplum-specific parameters (_compartment, _project, https://medplum.com/...) are internal and not offered. */
function isOffered(code: string, param: SearchParameter): boolean {
  return param.url ? !param.url.startsWith('https://medplum.com/') : code in RESOURCE_PARAMETER_URLS;
}

function offeredParameters(resourceType: string): [string, SearchParameter][] {
  return Object.entries(getSearchParameters(resourceType) ?? {})
    .filter(([code, param]) => isOffered(code, param))
    .sort(([a], [b]) => a.localeCompare(b));
}

function searchParams(resourceType: string): CapabilityStatementRestResourceSearchParam[] {
  return offeredParameters(resourceType).map(([code, param]) => ({
    name: code,
    definition: param.url ?? RESOURCE_PARAMETER_URLS[code],
    type: param.type,
  }));
}

function serverVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'server', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/** _include and _revinclude values: every reference parameter, from its own type and from each type it can target. */
function includeTargets(types: string[]): { include: Map<string, string[]>; revInclude: Map<string, string[]> } {
  const include = new Map<string, string[]>(types.map((t) => [t, []]));
  const revInclude = new Map<string, string[]>(types.map((t) => [t, []]));
  for (const type of types) {
    for (const [code, param] of offeredParameters(type)) {
      if (param.type !== 'reference') {
        continue;
      }
      include.get(type)?.push(`${type}:${code}`);
      for (const target of param.target ?? []) {
        revInclude.get(target)?.push(`${type}:${code}`);
      }
    }
  }
  return { include, revInclude };
}

/** Operations on a type (operations/index.ts registers them). */
const TYPE_OPERATIONS: Record<string, { name: string; definition: string }[]> = {
  ValueSet: [{ name: 'expand', definition: 'http://hl7.org/fhir/OperationDefinition/ValueSet-expand' }],
  Observation: [{ name: 'lastn', definition: 'http://hl7.org/fhir/OperationDefinition/Observation-lastn' }],
};

/** The server's CapabilityStatement (R4 4.0.1): every R4 resource type with the interactions the router serves. */
export function buildCapabilityStatement(options: CapabilityOptions): CapabilityStatement {
  loadFhirDefinitions();
  const types = getR4ResourceTypes();
  const { include, revInclude } = includeTargets(types);
  const profilesByType = new Map<string, string[]>();
  for (const profile of getProfiles()) {
    profilesByType.set(profile.type, [...(profilesByType.get(profile.type) ?? []), profile.url]);
  }
  const resources: CapabilityStatementRestResource[] = types.map((type) => ({
    type,
    profile: `http://hl7.org/fhir/StructureDefinition/${type}`,
    ...(profilesByType.has(type) ? { supportedProfile: profilesByType.get(type) } : {}),
    interaction: TYPE_INTERACTIONS.map((code) => ({ code })),
    versioning: 'versioned-update',
    readHistory: true,
    updateCreate: true,
    conditionalCreate: true,
    conditionalRead: 'not-supported',
    conditionalUpdate: true,
    conditionalDelete: 'single',
    referencePolicy: ['literal'],
    searchInclude: include.get(type),
    searchRevInclude: revInclude.get(type),
    searchParam: searchParams(type),
    ...(TYPE_OPERATIONS[type] ? { operation: TYPE_OPERATIONS[type] } : {}),
  }));
  return {
    resourceType: 'CapabilityStatement',
    name: 'RpmPlatformFhirServer',
    title: 'RPM Platform FHIR R4 server',
    status: 'active',
    date: new Date().toISOString(),
    publisher: 'RPM Platform',
    description: 'FHIR R4 server of the open-source Remote Patient Monitoring platform.',
    kind: 'instance',
    software: { name: 'RPM Platform FHIR server', version: serverVersion() },
    implementation: { description: 'RPM Platform FHIR R4 server', url: options.fhirBaseUrl },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    patchFormat: ['application/json-patch+json'],
    rest: [
      {
        mode: 'server',
        security: {
          extension: [
            {
              url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
              extension: oauthUris(options),
            },
          ],
          service: [
            {
              coding: [
                {
                  system: 'http://terminology.hl7.org/CodeSystem/restful-security-service',
                  code: 'SMART-on-FHIR',
                  display: 'SMART-on-FHIR',
                },
              ],
              text: 'SMART App Launch 2.x and SMART Backend Services (OAuth 2.0 bearer tokens)',
            },
          ],
          description:
            'Every request except GET /metadata and GET /.well-known/smart-configuration needs an OAuth 2.0 ' +
            'bearer access token: SMART App Launch (authorization code with PKCE S256) for apps, SMART Backend ' +
            'Services (client_credentials with private_key_jwt) for systems. Discovery: ' +
            '.well-known/smart-configuration.',
        },
        resource: resources,
        interaction: SYSTEM_INTERACTIONS.map((code) => ({ code })),
        operation: [{ name: 'validate', definition: 'http://hl7.org/fhir/OperationDefinition/Resource-validate' }],
      },
    ],
  };
}

/** A handler answering GET /metadata; the statement is rebuilt only when the project's profiles change. */
export function metadataHandler(options: CapabilityOptions): FhirRouteHandler {
  let cached: { generation: number; statement: CapabilityStatement } | undefined;
  return async (_req: FhirRequest, _repo: FhirRepository): Promise<FhirResponse> => {
    if (cached?.generation !== getRegistryGeneration()) {
      cached = { generation: getRegistryGeneration(), statement: buildCapabilityStatement(options) };
    }
    return [allOk, cached.statement];
  };
}
