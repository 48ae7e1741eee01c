// Validation against one project profile, with the profile parsed once per version instead of on every write.
import { getAllDataTypes, parseStructureDefinition, validateResource, validateTypedValue } from '@medplum/core';
import type { InternalTypeSchema, TypedValueWithPath } from '@medplum/core';
import type { OperationOutcomeIssue, Resource, StructureDefinition } from '@medplum/fhirtypes';

/**
 * @medplum/core's `validateResource(resource, { profile })` parses the StructureDefinition on every call: about 3 ms of
 * CPU for rpm-vital-sign and rpm-alert, against 0.2–0.5 ms for the validation itself, on every profiled write (each
 * alert a bot raises, each reading a gateway sends with its profile). Each profile version (the registry replaces the
 * object when a profile changes) is parsed once here, and registered under its canonical URL in @medplum/core's data
 * types (`getAllDataTypes()`), where `validateTypedValue` finds it as the type of the value.
 */
const parsedProfiles = new WeakMap<StructureDefinition, InternalTypeSchema>();

function schemaOf(profile: StructureDefinition): InternalTypeSchema {
  let schema = parsedProfiles.get(profile);
  if (!schema) {
    schema = parseStructureDefinition(profile);
    parsedProfiles.set(profile, schema);
  }
  // Set on every call: a changed profile's new version replaces the old under the same URL.
  getAllDataTypes()[profile.url] = schema;
  return schema;
}

/**
 * Validates `resource` against `profile`: its issues (warnings) when it conforms, else throws @medplum/core's
 * OperationOutcomeError like `validateResource` does.
 *
 * A resource that conforms gets the same result either way. One that does not is validated again through
 * `validateResource(resource, { profile })`, whose messages are the ones clients should see: with the profile as the
 * value's type, FHIRPath reads the resource through the profile's narrowed elements, so a `valueString` where the profile
 * allows only `valueQuantity` reads as an unknown property instead of failing the profile's own invariant
 * ("value[x] SHALL be a Quantity"). `profileValidation.test.ts` compares both paths on every example and its variants.
 */
export function validateAgainstProfile(
  resource: Resource,
  profile: StructureDefinition,
  tokens: Record<string, TypedValueWithPath[]>
): OperationOutcomeIssue[] {
  const fastTokens: Record<string, TypedValueWithPath[]> = {};
  try {
    schemaOf(profile);
    const issues = validateTypedValue({ type: profile.url, value: resource }, { collect: { tokens: fastTokens } });
    Object.assign(tokens, fastTokens);
    return issues;
  } catch {
    return validateResource(resource, { profile, collect: { tokens } });
  }
}
