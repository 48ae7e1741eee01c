// ValueSet $expand (R4 valueset-operation-expand): by url, by id, or an inline valueSet; filter, offset and count.
import { allOk, badRequest, OperationOutcomeError, Operator } from '@medplum/core';
import type { FhirRequest, FhirRepository, FhirResponse } from '@medplum/fhir-router';
import type { CodeSystem, OperationOutcome, ValueSet } from '@medplum/fhirtypes';
import { expandValueSet, registryTerminology } from '../conformance/expandValueSet.ts';
import type { TerminologySource } from '../conformance/expandValueSet.ts';
import { splitCanonical } from '../conformance/registry.ts';
import { getIntegerParameter, getResourceParameter, getStringParameter, isParameters } from './parameters.ts';

function valueSetNotFound(canonical: string): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    id: 'not-found',
    issue: [{ severity: 'error', code: 'not-found', details: { text: `Value set ${canonical} not found` } }],
  };
}

async function searchByUrl<T extends ValueSet | CodeSystem>(
  repo: FhirRepository,
  resourceType: T['resourceType'],
  canonical: string
): Promise<T | undefined> {
  const { url, version } = splitCanonical(canonical);
  const filters = [{ code: 'url', operator: Operator.EQUALS, value: url }];
  if (version) {
    filters.push({ code: 'version', operator: Operator.EQUALS, value: version });
  }
  return (await repo.searchOne<T>({ resourceType, filters })) as T | undefined;
}

/** The registry, plus the value sets and code systems stored in the repository that a compose refers to. */
async function terminologyFor(valueSet: ValueSet, repo: FhirRepository): Promise<TerminologySource> {
  const valueSets = new Map<string, ValueSet>();
  const codeSystems = new Map<string, CodeSystem>();
  const pending: ValueSet[] = [valueSet];
  while (pending.length && valueSets.size + codeSystems.size < 50) {
    const current = pending.pop() as ValueSet;
    for (const include of [...(current.compose?.include ?? []), ...(current.compose?.exclude ?? [])]) {
      if (
        include.system &&
        !include.concept &&
        !codeSystems.has(include.system) &&
        !registryTerminology.codeSystem(include.system)
      ) {
        const found = await searchByUrl<CodeSystem>(repo, 'CodeSystem', include.system);
        if (found) {
          codeSystems.set(include.system, found);
        }
      }
      for (const canonical of include.valueSet ?? []) {
        if (!valueSets.has(canonical) && !registryTerminology.valueSet(canonical)) {
          const found = await searchByUrl<ValueSet>(repo, 'ValueSet', canonical);
          if (found) {
            valueSets.set(canonical, found);
            pending.push(found);
          }
        }
      }
    }
  }
  return {
    valueSet: (canonical) => registryTerminology.valueSet(canonical) ?? valueSets.get(canonical),
    codeSystem: (canonical) => registryTerminology.codeSystem(canonical) ?? codeSystems.get(canonical),
  };
}

/**
 * GET/POST ValueSet/$expand?url=... (the project's value sets, FHIR R4's, then stored ones), ValueSet/[id]/$expand,
 * or POST with a Parameters carrying `valueSet`. Returns the ValueSet with `expansion`. 404 for an unknown url or id,
 * 400 without url/id/valueSet or with a bad offset/count, 400 (not-supported) when the value set needs terminology
 * the server does not have (e.g. all of LOINC, or compose filters).
 */
export async function expandOperation(req: FhirRequest, repo: FhirRepository): Promise<FhirResponse> {
  const parameters = isParameters(req.body) ? req.body : undefined;
  const url = getStringParameter(req, parameters, 'url');
  const version = getStringParameter(req, parameters, 'valueSetVersion');
  const filter = getStringParameter(req, parameters, 'filter');
  const offset = getIntegerParameter(req, parameters, 'offset');
  const count = getIntegerParameter(req, parameters, 'count');
  const inline = getResourceParameter(parameters, 'valueSet');

  let valueSet: ValueSet | undefined;
  if (req.params.id) {
    valueSet = await repo.readResource<ValueSet>('ValueSet', req.params.id);
  } else if (inline) {
    if (inline.resourceType !== 'ValueSet') {
      throw new OperationOutcomeError(badRequest('Parameter "valueSet" must be a ValueSet', 'valueSet'));
    }
    valueSet = inline;
  } else if (url) {
    const canonical = version && !url.includes('|') ? `${url}|${version}` : url;
    valueSet = registryTerminology.valueSet(canonical) ?? (await searchByUrl<ValueSet>(repo, 'ValueSet', canonical));
    if (!valueSet) {
      return [valueSetNotFound(canonical)];
    }
  } else {
    throw new OperationOutcomeError(
      badRequest('Give the value set: a "url" parameter, ValueSet/[id]/$expand, or a "valueSet"')
    );
  }
  const source = await terminologyFor(valueSet, repo);
  return [allOk, expandValueSet(valueSet, { filter, offset, count }, source)];
}
