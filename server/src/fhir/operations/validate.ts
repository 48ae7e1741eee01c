// $validate (R4 operation-resource-validate): POST [type]/$validate and [type]/[id]/$validate answer 200 with an OperationOutcome.
import { allOk, badRequest, isResourceType, OperationOutcomeError } from '@medplum/core';
import type { FhirRequest, FhirRepository, FhirResponse } from '@medplum/fhir-router';
import type { OperationOutcome, OperationOutcomeIssue, Parameters, Resource } from '@medplum/fhirtypes';
import { getProfile } from '../conformance/registry.ts';
import { validateResourceDetailed } from '../conformance/validateResource.ts';
import { getResourceParameter, getStringParameter, isParameters } from './parameters.ts';

const MODES = ['create', 'update', 'delete', 'profile'] as const;
type ValidationMode = (typeof MODES)[number];

function unknownResourceType(resourceType: string): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    id: 'not-found',
    issue: [{ severity: 'error', code: 'not-supported', details: { text: `Unknown resource type ${resourceType}` } }],
  };
}

/** The Parameters body, unless the body is itself the resource (a Parameters validated at Parameters/$validate). */
function parametersOf(resourceType: string, body: unknown): Parameters | undefined {
  if (!isParameters(body)) {
    return undefined;
  }
  if (resourceType === 'Parameters' && !body.parameter?.some((p) => p.name === 'resource')) {
    return undefined;
  }
  return body;
}

function issue(severity: OperationOutcomeIssue['severity'], code: string, text: string, expression?: string) {
  return {
    severity,
    code,
    details: { text },
    ...(expression ? { expression: [expression] } : {}),
  } as OperationOutcomeIssue;
}

function modeIssues(mode: ValidationMode | undefined, resource: Resource, urlId: string | undefined) {
  const issues: OperationOutcomeIssue[] = [];
  const type = resource.resourceType;
  if (mode === 'create' && resource.id) {
    issues.push(
      issue('warning', 'informational', 'The server assigns the id on create; this id would be ignored', `${type}.id`)
    );
  }
  if (mode === 'update' && !resource.id && !urlId) {
    issues.push(issue('error', 'required', 'An update needs the resource id', `${type}.id`));
  }
  if ((mode === 'update' || urlId) && urlId && resource.id && resource.id !== urlId) {
    issues.push(
      issue('error', 'invalid', `Resource id ${resource.id} does not match the id ${urlId} in the URL`, `${type}.id`)
    );
  }
  return issues;
}

/**
 * Validates the posted resource (or the `resource` parameter of a Parameters body) against its base definition, its
 * meta.profile and the `profile` parameter. Modes: create (an id is ignored), update (needs an id matching the
 * URL's), delete (the resource must exist; nothing else blocks a delete), profile (needs `profile`).
 * 200 with the issues (or an "All OK" information issue); 400 when validation cannot be performed (no resource,
 * unknown mode, unknown `profile`, type mismatch), 404 for an unknown resource type or a missing resource to delete.
 */
export async function validateOperation(req: FhirRequest, repo: FhirRepository): Promise<FhirResponse> {
  const { resourceType, id: urlId } = req.params;
  if (!isResourceType(resourceType)) {
    return [unknownResourceType(resourceType)];
  }
  const parameters = parametersOf(resourceType, req.body);
  const modeText = getStringParameter(req, parameters, 'mode');
  if (modeText !== undefined && !MODES.includes(modeText as ValidationMode)) {
    throw new OperationOutcomeError(
      badRequest(`Unknown mode "${modeText}"; expected one of ${MODES.join(', ')}`, 'mode')
    );
  }
  const mode = modeText as ValidationMode | undefined;
  const profile = getStringParameter(req, parameters, 'profile');

  if (mode === 'delete') {
    if (!urlId) {
      throw new OperationOutcomeError(badRequest('mode=delete needs the instance: POST [type]/[id]/$validate'));
    }
    await repo.readResource(resourceType, urlId);
    return [allOk, { ...allOk, issue: [issue('information', 'informational', 'All OK: the resource can be deleted')] }];
  }

  const resource = parameters ? getResourceParameter(parameters, 'resource') : (req.body as Resource | undefined);
  if (!resource || typeof resource !== 'object' || Array.isArray(resource)) {
    throw new OperationOutcomeError(
      badRequest('No resource to validate: post the resource or a Parameters with "resource"')
    );
  }
  if (resource.resourceType !== resourceType) {
    throw new OperationOutcomeError(
      badRequest(
        `Resource type ${String(resource.resourceType)} does not match ${resourceType} in the URL`,
        'resourceType'
      )
    );
  }
  if (mode === 'profile' && !profile) {
    throw new OperationOutcomeError(badRequest('mode=profile needs a "profile" parameter', 'profile'));
  }
  if (profile && !getProfile(profile)) {
    throw new OperationOutcomeError(badRequest(`Profile ${profile} is not known to this server`, 'profile'));
  }

  const profiles = [...(resource.meta?.profile ?? []), ...(profile ? [profile] : [])];
  const report = validateResourceDetailed(resource, profiles);
  const issues = [
    ...modeIssues(mode, resource, urlId),
    ...report.baseIssues,
    ...report.profileIssues,
    ...report.unknownProfiles.map((url) =>
      issue(
        'warning',
        'not-supported',
        `Profile ${url} is not known to this server; not validated against it`,
        `${resourceType}.meta.profile`
      )
    ),
  ];
  const outcome: OperationOutcome = {
    resourceType: 'OperationOutcome',
    issue: issues.length ? issues : [issue('information', 'informational', 'All OK')],
  };
  return [allOk, outcome];
}
