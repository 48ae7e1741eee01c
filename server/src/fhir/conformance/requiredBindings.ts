// Checks the coded values @medplum/core's validator collects for required bindings against value sets the server can expand.
import { isOperationOutcome, OperationOutcomeError } from '@medplum/core';
import type { TypedValueWithPath } from '@medplum/core';
import type { Coding, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { getRegistryGeneration, getValueSet, splitCanonical } from './registry.ts';
import { valueSetConcepts } from './expandValueSet.ts';

/** The codes of one expandable value set: "system|code" pairs, and bare codes for `code`-typed elements. */
interface CodeIndex {
  pairs: Set<string>;
  codes: Set<string>;
}

const cache = new Map<string, CodeIndex | null>();
let cacheGeneration = -1;

/** The code index of a value set, or null when it is unknown or cannot be expanded here (then it is not checked). */
export function getValueSetCodeIndex(canonical: string): CodeIndex | null {
  if (cacheGeneration !== getRegistryGeneration()) {
    cache.clear();
    cacheGeneration = getRegistryGeneration();
  }
  const cached = cache.get(canonical);
  if (cached !== undefined) {
    return cached;
  }
  let index: CodeIndex | null = null;
  const valueSet = getValueSet(canonical) ?? getValueSet(splitCanonical(canonical).url);
  if (valueSet) {
    try {
      const concepts = valueSetConcepts(valueSet);
      index = {
        pairs: new Set(concepts.map((c) => `${c.system}|${c.code}`)),
        codes: new Set(concepts.map((c) => c.code as string)),
      };
    } catch (err) {
      if (!(err instanceof OperationOutcomeError) || !isOperationOutcome(err.outcome)) {
        throw err;
      }
    }
  }
  cache.set(canonical, index);
  return index;
}

function codingIsMember(coding: Coding | undefined, index: CodeIndex): boolean {
  if (!coding?.code) {
    return false;
  }
  return coding.system ? index.pairs.has(`${coding.system}|${coding.code}`) : index.codes.has(coding.code);
}

function isMember(token: TypedValueWithPath, index: CodeIndex): boolean | undefined {
  const value = token.value as unknown;
  switch (token.type) {
    case 'CodeableConcept':
      return ((value as { coding?: Coding[] }).coding ?? []).some((coding) => codingIsMember(coding, index));
    case 'Coding':
      return codingIsMember(value as Coding, index);
    case 'Quantity': {
      const quantity = value as { system?: string; code?: string };
      return quantity.code === undefined ? undefined : codingIsMember(quantity, index);
    }
    default:
      return typeof value === 'string' ? index.codes.has(value) : undefined;
  }
}

function describe(token: TypedValueWithPath): string {
  const value = token.value as Record<string, unknown> | string;
  if (typeof value === 'string') {
    return `"${value}"`;
  }
  const codings = (token.type === 'CodeableConcept' ? (value.coding as Coding[] | undefined) : [value as Coding]) ?? [];
  const text = codings.map((c) => `${c.system ?? ''}|${c.code ?? ''}`).join(', ');
  return text ? `(${text})` : 'a value without codes';
}

/**
 * One error issue (code `code-invalid`) per collected value that is not in its required value set. Value sets the
 * server does not know or cannot expand (e.g. mimetypes, currencies, compose filters) are skipped.
 */
export function checkRequiredBindings(tokens: Record<string, TypedValueWithPath[]>): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = [];
  for (const [canonical, values] of Object.entries(tokens)) {
    const index = getValueSetCodeIndex(canonical);
    if (!index) {
      continue;
    }
    for (const token of values) {
      if (isMember(token, index) === false) {
        issues.push({
          severity: 'error',
          code: 'code-invalid',
          details: {
            text: `Value ${describe(token)} is not in the required value set ${splitCanonical(canonical).url}`,
          },
          expression: [token.path],
        });
      }
    }
  }
  return issues;
}
