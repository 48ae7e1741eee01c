// Validates a resource against its base definition and the project profiles it claims; used on every write and by $validate.
import { OperationOutcomeError, validateResource } from '@medplum/core';
import type { TypedValueWithPath } from '@medplum/core';
import type { OperationOutcomeIssue, Resource, StructureDefinition } from '@medplum/fhirtypes';
import { loadFhirDefinitions } from '../definitions.ts';
import { hasErrors, invalidResource, profileViolation } from './outcomes.ts';
import { validateAgainstProfile } from './profileValidation.ts';
import { getProfile } from './registry.ts';
import { checkRequiredBindings } from './requiredBindings.ts';

export interface ValidationReport {
  /** Against the base resource definition: structure, types, cardinality, invariants, required bindings (400). */
  baseIssues: OperationOutcomeIssue[];
  /** Against the project profiles that were asked for, not repeating base issues (422). */
  profileIssues: OperationOutcomeIssue[];
  /** Profiles asked for that the server does not know: accepted, not validated. */
  unknownProfiles: string[];
}

/** Runs @medplum/core's validator and the required-binding check; never throws for bad input. */
function runValidator(resource: Resource, profile?: StructureDefinition): OperationOutcomeIssue[] {
  const tokens: Record<string, TypedValueWithPath[]> = {};
  let issues: OperationOutcomeIssue[];
  try {
    issues = profile
      ? validateAgainstProfile(resource, profile, tokens)
      : validateResource(resource, { collect: { tokens } });
  } catch (err) {
    if (err instanceof OperationOutcomeError) {
      issues = err.outcome.issue ?? [];
    } else {
      const message = err instanceof Error ? err.message : String(err);
      issues = [
        { severity: 'error', code: 'structure', details: { text: `Resource could not be validated: ${message}` } },
      ];
    }
  }
  return [...issues, ...checkRequiredBindings(tokens)];
}

function issueKey(issue: OperationOutcomeIssue): string {
  return JSON.stringify([issue.severity, issue.code, issue.details?.text, issue.expression]);
}

/**
 * Validates `resource` against its base definition and each of `profiles` (by default its meta.profile) that the
 * server knows (the project's profiles, from fhir/profiles). Unknown profiles are reported, not validated.
 */
export function validateResourceDetailed(
  resource: Resource,
  profiles: readonly string[] = resource?.meta?.profile ?? []
): ValidationReport {
  loadFhirDefinitions();
  if (!resource || typeof resource !== 'object' || Array.isArray(resource)) {
    return {
      baseIssues: [{ severity: 'error', code: 'structure', details: { text: 'A resource must be a JSON object' } }],
      profileIssues: [],
      unknownProfiles: [],
    };
  }
  const baseIssues = runValidator(resource);
  const seen = new Set(baseIssues.map(issueKey));
  const profileIssues: OperationOutcomeIssue[] = [];
  const unknownProfiles: string[] = [];
  const invalidType = baseIssues.some((i) => i.details?.text === 'Invalid resource type');
  for (const url of new Set(profiles)) {
    const profile = getProfile(url);
    if (!profile) {
      unknownProfiles.push(url);
      continue;
    }
    if (invalidType) {
      continue;
    }
    if (profile.type !== resource.resourceType) {
      profileIssues.push({
        severity: 'error',
        code: 'invalid',
        details: { text: `Profile ${url} constrains ${profile.type}, not ${resource.resourceType}` },
        expression: [`${resource.resourceType}.meta.profile`],
      });
      continue;
    }
    for (const issue of runValidator(resource, profile)) {
      const key = issueKey(issue);
      if (!seen.has(key)) {
        seen.add(key);
        profileIssues.push({
          ...issue,
          details: { ...issue.details, text: `${issue.details?.text} (profile ${url})` },
        });
      }
    }
  }
  return { baseIssues, profileIssues, unknownProfiles };
}

/**
 * Throws an OperationOutcomeError unless `resource` is valid for a create or update: 400 when it fails the base
 * definition (with any profile issues too), 422 when only its meta.profile profiles fail. Warnings alone pass.
 * Profiles the server does not know are accepted without validation.
 */
export function validateResourceForWrite(resource: Resource): void {
  const { baseIssues, profileIssues } = validateResourceDetailed(resource);
  if (hasErrors(baseIssues)) {
    throw new OperationOutcomeError(invalidResource([...baseIssues, ...profileIssues]));
  }
  if (hasErrors(profileIssues)) {
    throw new OperationOutcomeError(profileViolation([...baseIssues, ...profileIssues]));
  }
}
