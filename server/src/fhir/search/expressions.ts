// FHIRPath expression analysis for indexing: union branches, per-type filtering, and the elements an expression reads.
import {
  AsAtom,
  DotAtom,
  FhirPathAtom,
  FunctionAtom,
  IndexerAtom,
  SymbolAtom,
  UnionAtom,
  getElementDefinition,
  parseFhirPath,
} from '@medplum/core';

export type Atom = FhirPathAtom['child'];

/** A top-level element (and optionally one child) an expression reads: if absent from a resource, the param has no values. */
export interface RootPath {
  name: string;
  choice: boolean;
  /** For a choice element narrowed by type: the one JSON key that can hold values (valueQuantity). */
  choiceKey?: string;
  child?: string;
}

/** FHIRPath functions whose output is drawn from their input: an empty input gives an empty output. */
const FILTERING_FUNCTIONS = new Set([
  'where',
  'ofType',
  'as',
  'resolve',
  'first',
  'last',
  'extension',
  'single',
  'tail',
  'take',
  'skip',
  'distinct',
  'select',
]);

export function unionBranches(atom: Atom): Atom[] {
  return atom instanceof UnionAtom ? [...unionBranches(atom.left), ...unionBranches(atom.right)] : [atom];
}

/** Keeps the union branches of an expression that start at this resource type ("A.x | B.x" → "A.x"). */
export function filterExpressionForType(resourceType: string, expression: string): FhirPathAtom | undefined {
  let parsed: FhirPathAtom;
  try {
    parsed = parseFhirPath(expression);
  } catch {
    return undefined;
  }
  const branches: Atom[] = [];
  const collect = (atom: Atom): void => {
    if (atom instanceof UnionAtom) {
      collect(atom.left);
      collect(atom.right);
    } else if (chainHead(atom) === resourceType) {
      branches.push(atom);
    }
  };
  collect(parsed.child);
  if (branches.length === 0) {
    return undefined;
  }
  let result = branches[0];
  for (let i = 1; i < branches.length; i++) {
    result = new UnionAtom(result, branches[i]);
  }
  return new FhirPathAtom(expression, result);
}

/** One step of a navigation chain: an element name, or a filtering function (with its type argument, if any). */
type Step = { name: string; fn: boolean; typeArg?: string };

/** Flattens a navigation chain (a.b.where(..).c as T) into its steps; undefined if it is not a plain chain. */
function flattenChain(atom: Atom): Step[] | undefined {
  if (atom instanceof DotAtom) {
    const left = flattenChain(atom.left);
    const right = flattenChain(atom.right);
    return left && right ? [...left, ...right] : undefined;
  }
  if (atom instanceof AsAtom) {
    const left = flattenChain(atom.left);
    return left ? [...left, { name: 'as', fn: true, typeArg: atom.right.toString() }] : undefined;
  }
  if (atom instanceof IndexerAtom) {
    return flattenChain(atom.left);
  }
  if (atom instanceof SymbolAtom) {
    return [{ name: atom.name, fn: false }];
  }
  if (atom instanceof FunctionAtom && FILTERING_FUNCTIONS.has(atom.name)) {
    const typeArg =
      (atom.name === 'ofType' || atom.name === 'as') && atom.args[0] ? atom.args[0].toString() : undefined;
    return [{ name: atom.name, fn: true, typeArg }];
  }
  return undefined;
}

export function chainHead(atom: Atom): string | undefined {
  const head = flattenChain(atom)?.[0];
  return head && !head.fn ? head.name : undefined;
}

/**
 * The top-level elements an expression depends on, so the indexer can skip it when none is present.
 * Undefined when the expression is not a plain navigation from the resource (then it is always evaluated).
 */
export function rootPaths(resourceType: string, atom: Atom): RootPath[] | undefined {
  if (atom instanceof UnionAtom) {
    const left = rootPaths(resourceType, atom.left);
    const right = rootPaths(resourceType, atom.right);
    return left && right ? [...left, ...right] : undefined;
  }
  const steps = flattenChain(atom);
  if (!steps || steps.length < 2) {
    return undefined;
  }
  const [head, first, second] = steps;
  if (head.fn || head.name !== resourceType || first.fn) {
    return undefined;
  }
  const element = getElementDefinition(resourceType, first.name);
  if (!element) {
    return undefined;
  }
  const choice = element.path.endsWith('[x]');
  const root: RootPath = { name: first.name, choice };
  if (choice) {
    if (second?.fn && second.typeArg) {
      // value.ofType(Quantity) reads only valueQuantity.
      root.choiceKey = first.name + second.typeArg[0].toUpperCase() + second.typeArg.slice(1);
    }
  } else if (second && !second.fn && element.type.length === 1) {
    const childElement = getElementDefinition(element.type[0].code, second.name);
    if (childElement && !childElement.path.endsWith('[x]')) {
      root.child = second.name;
    }
  }
  return [root];
}

/** True if the resource has any of the elements the parameter reads (always true when unknown). */
export function mayHaveValues(resource: Record<string, unknown>, roots: RootPath[] | undefined): boolean {
  if (!roots) {
    return true;
  }
  for (const root of roots) {
    if (root.choiceKey) {
      if (resource[root.choiceKey] !== undefined) {
        return true;
      }
      continue;
    }
    const value = resource[root.name];
    if (value === undefined) {
      if (root.choice && hasChoiceKey(resource, root.name)) {
        return true;
      }
      continue;
    }
    if (!root.child) {
      return true;
    }
    if (Array.isArray(value)) {
      if (
        value.some(
          (v) => v && typeof v === 'object' && (v as Record<string, unknown>)[root.child as string] !== undefined
        )
      ) {
        return true;
      }
    } else if (value && typeof value === 'object' && (value as Record<string, unknown>)[root.child] !== undefined) {
      return true;
    }
  }
  return false;
}

function hasChoiceKey(resource: Record<string, unknown>, name: string): boolean {
  for (const key in resource) {
    if (key.length > name.length && key.startsWith(name)) {
      const c = key.charCodeAt(name.length);
      if (c >= 65 && c <= 90) {
        return true;
      }
    }
  }
  return false;
}
