// _summary and _elements: returns subsetted copies of resources, tagged SUBSETTED as the spec requires.
import { tryGetDataType } from '@medplum/core';
import type { Coding, Resource } from '@medplum/fhirtypes';

export const SUBSETTED_TAG: Coding = {
  system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue',
  code: 'SUBSETTED',
};

/** What to keep of each matched resource. */
export interface SubsetRequest {
  summary?: 'true' | 'text' | 'data';
  elements?: string[];
}

interface TypeElements {
  summary: Set<string>;
  mandatory: Set<string>;
  /** JSON key → element name ("valueQuantity" → "value"). */
  names: Map<string, string>;
  choices: string[];
}

const typeElements = new Map<string, TypeElements | undefined>();

function getTypeElements(resourceType: string): TypeElements | undefined {
  if (!typeElements.has(resourceType)) {
    const schema = tryGetDataType(resourceType);
    typeElements.set(
      resourceType,
      schema && {
        summary: schema.summaryProperties ?? new Set(),
        mandatory: schema.mandatoryProperties ?? new Set(),
        names: new Map(),
        choices: Object.keys(schema.elements)
          .filter((k) => k.endsWith('[x]'))
          .map((k) => k.slice(0, -3)),
      }
    );
  }
  return typeElements.get(resourceType);
}

/** The element name a JSON key belongs to (choice types: "effectiveDateTime" → "effective"). */
function elementName(types: TypeElements, key: string): string {
  let name = types.names.get(key);
  if (name === undefined) {
    name = types.choices.find((c) => key.startsWith(c) && key.length > c.length && /[A-Z]/.test(key[c.length])) ?? key;
    types.names.set(key, name);
  }
  return name;
}

/** True if the request asks for a subset. */
export function isSubset(request: SubsetRequest): boolean {
  return !!request.summary || !!request.elements?.length;
}

/** A subsetted copy of the resource (the original is not modified). */
export function subsetResource<T extends Resource>(resource: T, request: SubsetRequest): T {
  const types = getTypeElements(resource.resourceType);
  if (!types || !isSubset(request)) {
    return resource;
  }
  const wanted = request.elements?.length ? new Set(request.elements) : undefined;
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(resource)) {
    const name = elementName(types, key);
    let keep: boolean;
    if (key === 'resourceType' || key === 'id' || key === 'meta') {
      keep = true;
    } else if (wanted) {
      keep = wanted.has(name) || wanted.has(key) || types.mandatory.has(name);
    } else if (request.summary === 'true') {
      keep = types.summary.has(name) || types.mandatory.has(name);
    } else if (request.summary === 'text') {
      keep = key === 'text' || types.mandatory.has(name);
    } else {
      // _summary=data: everything but the narrative.
      keep = key !== 'text';
    }
    if (keep) {
      result[key] = value;
    }
  }
  const meta = (resource.meta ?? {}) as NonNullable<Resource['meta']>;
  const tags = meta.tag ?? [];
  if (!tags.some((t) => t.code === SUBSETTED_TAG.code && t.system === SUBSETTED_TAG.system)) {
    result.meta = { ...meta, tag: [...tags, SUBSETTED_TAG] };
  }
  return result as T;
}
