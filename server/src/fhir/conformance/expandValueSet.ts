// Expands a ValueSet from its compose (explicit concepts, whole local code systems, other value sets) with filter and paging.
import { randomUUID } from 'node:crypto';
import { OperationOutcomeError } from '@medplum/core';
import type {
  CodeSystem,
  CodeSystemConcept,
  OperationOutcome,
  ValueSet,
  ValueSetComposeInclude,
  ValueSetExpansionContains,
  ValueSetExpansionParameter,
} from '@medplum/fhirtypes';
import { getCodeSystem, getValueSet } from './registry.ts';

/** Where an expansion finds the value sets and code systems a compose refers to. */
export interface TerminologySource {
  valueSet(canonical: string): ValueSet | undefined;
  codeSystem(canonical: string): CodeSystem | undefined;
}

/** The registry: the project's conformance resources, then FHIR R4's terminology. */
export const registryTerminology: TerminologySource = { valueSet: getValueSet, codeSystem: getCodeSystem };

export interface ExpandOptions {
  /** Case-insensitive substring of the code or the display. */
  filter?: string;
  offset?: number;
  count?: number;
}

/** Largest page an expansion returns; larger or absent counts are cut to this. */
export const MAX_EXPANSION_COUNT = 1000;

const MAX_DEPTH = 10;

/** An OperationOutcome for a value set the server cannot expand (e.g. it needs LOINC, or uses compose filters). */
export function cannotExpand(message: string): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: [{ severity: 'error', code: 'not-supported', details: { text: message } }],
  };
}

const key = (system: string | undefined, code: string | undefined): string => `${system ?? ''}|${code ?? ''}`;

function flattenConcepts(system: string, version: string | undefined, concepts: CodeSystemConcept[] = []) {
  const result: ValueSetExpansionContains[] = [];
  for (const concept of concepts) {
    result.push({ system, ...(version ? { version } : {}), code: concept.code, display: concept.display });
    result.push(...flattenConcepts(system, version, concept.concept));
  }
  return result;
}

function flattenContains(contains: ValueSetExpansionContains[] = []): ValueSetExpansionContains[] {
  return contains.flatMap(({ contains: nested, ...item }) => [
    ...(item.code ? [item] : []),
    ...flattenContains(nested),
  ]);
}

function conceptsOfInclude(
  include: ValueSetComposeInclude,
  source: TerminologySource,
  depth: number
): ValueSetExpansionContains[] {
  if (include.filter?.length) {
    throw new OperationOutcomeError(
      cannotExpand(`Value set compose filters are not supported (system ${include.system})`)
    );
  }
  let concepts: ValueSetExpansionContains[] | undefined;
  if (include.system) {
    if (include.concept) {
      const needsDisplays = include.concept.some((c) => !c.display);
      const codeSystem = needsDisplays ? source.codeSystem(include.system) : undefined;
      const byCode = new Map(flattenConcepts(include.system, undefined, codeSystem?.concept).map((c) => [c.code, c]));
      concepts = include.concept.map((c) => ({
        system: include.system,
        ...(include.version ? { version: include.version } : {}),
        code: c.code,
        display: c.display ?? byCode.get(c.code)?.display,
      }));
    } else {
      const codeSystem = source.codeSystem(include.system);
      if (!codeSystem || (codeSystem.content !== 'complete' && codeSystem.content !== undefined)) {
        throw new OperationOutcomeError(
          cannotExpand(`Code system ${include.system} is not available on this server, so its codes cannot be listed`)
        );
      }
      concepts = flattenConcepts(include.system, include.version, codeSystem.concept);
    }
  }
  for (const canonical of include.valueSet ?? []) {
    const valueSet = source.valueSet(canonical);
    if (!valueSet) {
      throw new OperationOutcomeError(cannotExpand(`Value set ${canonical} is not available on this server`));
    }
    const members = valueSetConcepts(valueSet, source, depth + 1);
    if (concepts) {
      const allowed = new Set(members.map((c) => key(c.system, c.code)));
      concepts = concepts.filter((c) => allowed.has(key(c.system, c.code)));
    } else {
      concepts = members;
    }
  }
  return concepts ?? [];
}

/**
 * Every concept of a value set, unfiltered and unpaged, deduplicated by system and code. Throws an
 * OperationOutcomeError (not-supported) when the value set cannot be fully expanded here.
 */
export function valueSetConcepts(
  valueSet: ValueSet,
  source: TerminologySource = registryTerminology,
  depth = 0
): ValueSetExpansionContains[] {
  if (depth > MAX_DEPTH) {
    throw new OperationOutcomeError(cannotExpand(`Value set ${valueSet.url} nests value sets too deeply`));
  }
  if (!valueSet.compose) {
    if (valueSet.expansion?.contains) {
      return flattenContains(valueSet.expansion.contains);
    }
    throw new OperationOutcomeError(cannotExpand(`Value set ${valueSet.url ?? valueSet.id} has no compose to expand`));
  }
  const included = new Map<string, ValueSetExpansionContains>();
  for (const include of valueSet.compose.include ?? []) {
    for (const concept of conceptsOfInclude(include, source, depth)) {
      const k = key(concept.system, concept.code);
      if (!included.has(k)) {
        included.set(k, concept);
      }
    }
  }
  for (const exclude of valueSet.compose.exclude ?? []) {
    for (const concept of conceptsOfInclude(exclude, source, depth)) {
      included.delete(key(concept.system, concept.code));
    }
  }
  return [...included.values()];
}

function matchesFilter(concept: ValueSetExpansionContains, filter: string): boolean {
  const needle = filter.toLowerCase();
  return !!(concept.code?.toLowerCase().includes(needle) || concept.display?.toLowerCase().includes(needle));
}

/** The value set (without compose and narrative) with an `expansion`: filtered, then paged by offset and count. */
export function expandValueSet(
  valueSet: ValueSet,
  options: ExpandOptions = {},
  source: TerminologySource = registryTerminology
): ValueSet {
  const filter = options.filter?.trim() || undefined;
  const offset = options.offset ?? 0;
  const count = Math.min(options.count ?? MAX_EXPANSION_COUNT, MAX_EXPANSION_COUNT);
  const matching = valueSetConcepts(valueSet, source).filter((c) => !filter || matchesFilter(c, filter));
  const parameter: ValueSetExpansionParameter[] = [];
  if (filter) {
    parameter.push({ name: 'filter', valueString: filter });
  }
  parameter.push({ name: 'offset', valueInteger: offset }, { name: 'count', valueInteger: count });
  const { compose: _compose, text: _text, expansion: _old, ...rest } = valueSet;
  return {
    ...rest,
    expansion: {
      identifier: `urn:uuid:${randomUUID()}`,
      timestamp: new Date().toISOString(),
      total: matching.length,
      offset,
      parameter,
      contains: matching.slice(offset, offset + count),
    },
  };
}
