// Compiles one search filter of a Subscription's criteria into a fast in-memory test, run on every committed write.
import {
  evalFhirPathTyped,
  getExpressionForResourceType,
  getSearchParameter,
  matchesSearchRequest,
  Operator,
  parseFhirPath,
  splitSearchOnComma,
  type Filter,
  type FhirPathAtom,
  type TypedValue,
} from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';

/** True when the resource passes the filter. */
export type ResourceMatcher = (resource: Resource) => boolean;

/** One wanted token: `code`, `system|code`, `|code` (no system) or `system|` (any code of the system). */
interface WantedToken {
  /** undefined: any system; '': no system. */
  system?: string;
  /** undefined: any code. */
  code?: string;
}

/** A (system, code) pair carried by a resource element. */
interface TokenValue {
  system?: string;
  code?: string;
}

/**
 * Token filters without a modifier (the common case: `code=http://loinc.org|8867-4,...`) evaluate the parameter's
 * FHIRPath once per resource, parsed once per Subscription. Every other filter, and any value of a type the fast path
 * does not know, goes to @medplum/core's `matchesSearchRequest` for that filter alone. A filter that cannot be
 * evaluated matches nothing.
 */
export function compileSearchFilter(resourceType: string, filter: Filter): ResourceMatcher {
  const general = generalMatcher(resourceType, filter);
  const param = getSearchParameter(resourceType, filter.code);
  const expression = param?.expression ? getExpressionForResourceType(resourceType, param.expression) : undefined;
  if (param?.type !== 'token' || filter.operator !== Operator.EQUALS || !expression) {
    return general;
  }
  let atom: FhirPathAtom;
  try {
    atom = parseFhirPath(expression);
  } catch {
    return general;
  }
  const wanted = splitSearchOnComma(filter.value).map(parseWantedToken);
  return (resource) => {
    let values: TokenValue[] | undefined;
    try {
      values = tokenValues(evalFhirPathTyped(atom, [{ type: resourceType, value: resource }]));
    } catch {
      return false;
    }
    if (!values) {
      return general(resource);
    }
    return values.some((value) => wanted.some((want) => tokenMatches(want, value)));
  };
}

function generalMatcher(resourceType: string, filter: Filter): ResourceMatcher {
  const request = { resourceType, filters: [filter] } as Parameters<typeof matchesSearchRequest>[1];
  return (resource) => {
    try {
      return matchesSearchRequest(resource, request);
    } catch {
      return false;
    }
  };
}

function parseWantedToken(value: string): WantedToken {
  const bar = value.indexOf('|');
  if (bar < 0) {
    return { code: value };
  }
  const code = value.slice(bar + 1);
  return { system: value.slice(0, bar), code: code === '' ? undefined : code };
}

/** The (system, code) pairs of token-typed elements; undefined when one has a type this path does not handle. */
function tokenValues(elements: TypedValue[]): TokenValue[] | undefined {
  const values: TokenValue[] = [];
  for (const { type, value } of elements) {
    if (value === undefined || value === null) {
      continue;
    }
    switch (type) {
      case 'CodeableConcept':
        for (const coding of (value as { coding?: TokenValue[] }).coding ?? []) {
          values.push({ system: coding.system, code: coding.code });
        }
        break;
      case 'Coding':
        values.push({ system: (value as TokenValue).system, code: (value as TokenValue).code });
        break;
      case 'Identifier':
        values.push({ system: (value as { system?: string }).system, code: (value as { value?: string }).value });
        break;
      case 'code':
      case 'string':
      case 'uri':
      case 'id':
        values.push({ code: String(value) });
        break;
      default:
        return undefined;
    }
  }
  return values;
}

function tokenMatches(want: WantedToken, value: TokenValue): boolean {
  if (want.system !== undefined && want.system !== (value.system ?? '')) {
    return false;
  }
  return want.code === undefined || want.code === value.code;
}
