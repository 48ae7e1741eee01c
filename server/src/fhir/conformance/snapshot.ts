// Derives a profile's snapshot from its base definition's snapshot plus the profile's differential (a small, strict generator).
import type { ElementDefinition, StructureDefinition } from '@medplum/fhirtypes';

/** Looks up the StructureDefinition of a complex data type (e.g. "Quantity") to unfold its children. */
export type DataTypeLookup = (typeCode: string) => StructureDefinition | undefined;

/**
 * Returns the snapshot elements of `profile`: every element of `base.snapshot`, with each differential element merged
 * into the element of the same id. A differential element whose id is not yet in the snapshot is a child of a
 * complex-typed element: that parent is unfolded with the children of its (single) data type first.
 *
 * Supported, and checked: narrowing cardinality (min up, max down), narrowing types to a subset, replacing bindings,
 * fixed and pattern values, documentation, and adding constraints (appended, with `source` = the profile url).
 * Not supported (throws): new slices, unfolding an element with several types, widening cardinality or types.
 */
export function generateSnapshot(
  profile: StructureDefinition,
  base: StructureDefinition,
  dataType: DataTypeLookup
): ElementDefinition[] {
  if (profile.baseDefinition !== base.url) {
    throw new Error(`${profile.url}: baseDefinition ${profile.baseDefinition} is not ${base.url}`);
  }
  if (!base.snapshot?.element?.length) {
    throw new Error(`${base.url} has no snapshot`);
  }
  const elements = structuredClone(base.snapshot.element);
  for (const diff of profile.differential?.element ?? []) {
    if (!diff.id) {
      throw new Error(`${profile.url}: every differential element needs an id (path ${diff.path})`);
    }
    const index = findOrUnfold(elements, diff.id, dataType);
    elements[index] = mergeElement(elements[index], diff, profile.url as string);
  }
  return elements;
}

function findOrUnfold(elements: ElementDefinition[], id: string, dataType: DataTypeLookup): number {
  const existing = elements.findIndex((e) => e.id === id);
  if (existing >= 0) {
    return existing;
  }
  const lastDot = id.lastIndexOf('.');
  if (lastDot < 0 || id.slice(lastDot).includes(':')) {
    throw new Error(`Cannot derive element ${id}: new slices are not supported by the snapshot generator`);
  }
  const parentIndex = findOrUnfold(elements, id.slice(0, lastDot), dataType);
  const parent = elements[parentIndex];
  if (elements.some((e) => e.id?.startsWith(parent.id + '.'))) {
    throw new Error(`Unknown element ${id}: ${parent.id} has no such child`);
  }
  const types = parent.type ?? [];
  if (types.length !== 1) {
    throw new Error(`Cannot unfold ${parent.id}: it must have exactly one type, found ${types.length}`);
  }
  const typeCode = types[0].code;
  const typeDefinition = dataType(typeCode);
  const typeElements = typeDefinition?.snapshot?.element;
  if (!typeElements?.length) {
    throw new Error(`Cannot unfold ${parent.id}: no snapshot for data type ${typeCode}`);
  }
  const children = typeElements.slice(1).map((child) => ({
    ...structuredClone(child),
    id: (parent.id as string) + (child.id as string).slice(typeCode.length),
    path: parent.path + child.path.slice(typeCode.length),
  }));
  elements.splice(parentIndex + 1, 0, ...children);
  const index = elements.findIndex((e) => e.id === id);
  if (index < 0) {
    throw new Error(`Unknown element ${id}: data type ${typeCode} has no such child`);
  }
  return index;
}

function maxOf(max: string | undefined): number {
  return max === undefined || max === '*' ? Infinity : Number(max);
}

function mergeElement(base: ElementDefinition, diff: ElementDefinition, source: string): ElementDefinition {
  if (diff.path !== base.path) {
    throw new Error(`Element ${diff.id}: path ${diff.path} does not match the snapshot's ${base.path}`);
  }
  if (diff.min !== undefined && diff.min < (base.min ?? 0)) {
    throw new Error(`Element ${diff.id}: min ${diff.min} is below the base's ${base.min}`);
  }
  if (diff.max !== undefined && maxOf(diff.max) > maxOf(base.max)) {
    throw new Error(`Element ${diff.id}: max ${diff.max} is above the base's ${base.max}`);
  }
  if (diff.min !== undefined && diff.min > maxOf(diff.max ?? base.max)) {
    throw new Error(`Element ${diff.id}: min ${diff.min} is above max`);
  }
  const baseTypes = new Set((base.type ?? []).map((t) => t.code));
  for (const type of diff.type ?? []) {
    if (!baseTypes.has(type.code)) {
      throw new Error(`Element ${diff.id}: type ${type.code} is not allowed by the base`);
    }
  }
  const merged: ElementDefinition = { ...base };
  for (const [key, value] of Object.entries(diff) as [keyof ElementDefinition, unknown][]) {
    if (key === 'id' || key === 'path') {
      continue;
    }
    if (key === 'constraint') {
      merged.constraint = [
        ...(base.constraint ?? []),
        ...(diff.constraint ?? []).map((c) => ({ ...c, source: c.source ?? source })),
      ];
    } else if (key === 'condition') {
      merged.condition = [...new Set([...(base.condition ?? []), ...(diff.condition ?? [])])];
    } else {
      (merged as unknown as Record<string, unknown>)[key] = structuredClone(value);
    }
  }
  return merged;
}
