// The Subscription extensions the server reads (Medplum's URLs, so Subscriptions written for Medplum work here too).
import type { Subscription } from '@medplum/fhirtypes';
import type { ChangeInteraction } from './writeTriggers.ts';

export const SUBSCRIPTION_EXTENSIONS = {
  /** valueCode create | update | delete; repeatable. Without it: create and update. */
  interaction: 'https://medplum.com/fhir/StructureDefinition/subscription-supported-interaction',
  /** valueString: a FHIRPath expression over %current and %previous that must be true to notify. */
  fhirPathCriteria: 'https://medplum.com/fhir/StructureDefinition/fhir-path-criteria-expression',
  /** valueString: rest-hook HMAC-SHA256 key; the body's signature goes in the X-Signature header (hex). */
  secret: 'https://www.medplum.com/fhir/StructureDefinition/subscription-secret',
  /** valueInteger 1–18: rest-hook and bot delivery attempts before the Subscription shows an error. */
  maxAttempts: 'https://medplum.com/fhir/StructureDefinition/subscription-max-attempts',
} as const;

const ALL: readonly ChangeInteraction[] = ['create', 'update', 'delete'];

function extensionValues(subscription: Subscription, url: string) {
  return (subscription.extension ?? []).filter((e) => e.url === url);
}

/** Which interactions notify: the interaction extensions' codes, or create and update. */
export function subscribedInteractions(subscription: Subscription): Set<ChangeInteraction> {
  const codes = extensionValues(subscription, SUBSCRIPTION_EXTENSIONS.interaction)
    .map((e) => e.valueCode)
    .filter((c): c is ChangeInteraction => ALL.includes(c as ChangeInteraction));
  return new Set(codes.length > 0 ? codes : ['create', 'update']);
}

export function fhirPathCriteriaOf(subscription: Subscription): string | undefined {
  return extensionValues(subscription, SUBSCRIPTION_EXTENSIONS.fhirPathCriteria)[0]?.valueString;
}

export function secretOf(subscription: Subscription): string | undefined {
  return extensionValues(subscription, SUBSCRIPTION_EXTENSIONS.secret)[0]?.valueString;
}

export function maxAttemptsOf(subscription: Subscription, fallback: number): number {
  const value = extensionValues(subscription, SUBSCRIPTION_EXTENSIONS.maxAttempts)[0]?.valueInteger;
  return value !== undefined && Number.isInteger(value) && value >= 1 && value <= 18 ? value : fallback;
}
