// Per-resource-type catalog of search parameters: kind, index table, compiled FHIRPath, and what the indexer may skip.
import {
  FhirPathAtom,
  SearchParameterType,
  SymbolAtom,
  getSearchParameterDetails,
  getSearchParameters,
  isResourceType,
  parseFhirPath,
} from '@medplum/core';
import type { SearchParameter } from '@medplum/fhirtypes';
import { loadFhirDefinitions } from '../definitions.ts';
import { findCompartmentParam } from './compartment.ts';
import { filterExpressionForType, rootPaths, unionBranches, type RootPath } from './expressions.ts';
import { resolveAliases, shareComponentRows } from './sharing.ts';

export { mayHaveValues } from './expressions.ts';
import type { IndexTable } from './types.ts';

/** How a parameter is matched; also decides its index table. */
export type ParamKind =
  'token' | 'string' | 'reference' | 'date' | 'number' | 'quantity' | 'uri' | 'composite' | 'special';

/** One component of a composite parameter. */
export interface CompositeComponent {
  kind: ParamKind;
  table: IndexTable;
  /** Expression relative to one element of the composite's base (used when the composite stores its own rows). */
  atom: FhirPathAtom;
  /** The ordinary parameter this component is defined by. */
  definition: ParamInfo;
  /** The param codes of the index rows holding this component's values. */
  rowParams: string[];
  booleanToken: boolean;
}

export interface CompositeInfo {
  /**
   * True when the base is the resource itself (e.g. Observation code-value-quantity): every value comes from the
   * same resource, so the components are matched through their defining parameters.
   */
  sameResource: boolean;
  /**
   * True when the composite stores rows of its own ("<code>#<component>", grouped by element). Otherwise the rows of
   * its components' defining parameters carry the element number in `grp` and are joined on it.
   */
  ownRows: boolean;
  base: FhirPathAtom;
  components: CompositeComponent[];
}

/** A parameter indexed per element of a composite base, so its rows carry the element number (grp = index + 1). */
export interface ParamGroup {
  /** The base expression as text (one grouping per base). */
  baseKey: string;
  base: FhirPathAtom;
  /** The parameter's expression relative to one element of the base. */
  relative: FhirPathAtom;
}

export interface ParamInfo {
  code: string;
  kind: ParamKind;
  searchParam: SearchParameter;
  /** The index table holding this parameter's rows; undefined for resource-column, composite and special params. */
  table?: IndexTable;
  /** Parameters answered from the resource table's own columns. */
  column?: 'id' | 'lastUpdated';
  atom?: FhirPathAtom;
  roots?: RootPath[];
  /** Token param whose values are booleans ("true"/"false"). */
  booleanToken: boolean;
  /** True when a resource may have several values (the element or a step to it repeats). */
  multiple: boolean;
  /** Reference param: resource types it may point to (undefined = any). */
  targetTypes?: string[];
  /** Reference param holding canonical URLs rather than References. */
  canonical: boolean;
  composite?: CompositeInfo;
  /** Why the parameter cannot be searched, if it cannot. */
  unsupported?: string;
  /** The union branches of the expression, as text. */
  branches?: string[];
  /** The param codes of the rows holding this parameter's values: its own, or those it is an alias of. */
  rowParams: string[];
  /** True when the parameter stores no rows because its values are exactly those of rowParams. */
  alias: boolean;
  /** Alias restricted to references to one type (patient = subject.where(resolve() is Patient)). */
  refType?: string;
  group?: ParamGroup;
}

export interface TypeCatalog {
  resourceType: string;
  byCode: Map<string, ParamInfo>;
  /** The params buildSearchIndexRows evaluates, in a fixed order. */
  indexed: ParamInfo[];
  /** The reference row param that places a resource in a patient compartment (see compartment.ts). */
  compartmentParam?: string;
}

/** Medplum-server internals that are not part of this server's search surface. */
const EXCLUDED_CODES = new Set(['_compartment', '_project']);

const KIND_TABLE: Record<string, IndexTable | undefined> = {
  token: 'token',
  string: 'string',
  reference: 'reference',
  date: 'date',
  number: 'number',
  quantity: 'quantity',
  uri: 'uri',
};

const catalogs = new Map<string, TypeCatalog | undefined>();

/** The catalog of a resource type, or undefined if the type is unknown. Built once per type. */
export function getTypeCatalog(resourceType: string): TypeCatalog | undefined {
  if (catalogs.has(resourceType)) {
    return catalogs.get(resourceType);
  }
  loadFhirDefinitions();
  const catalog = isResourceType(resourceType) ? buildCatalog(resourceType) : undefined;
  catalogs.set(resourceType, catalog);
  return catalog;
}

export function getParamInfo(resourceType: string, code: string): ParamInfo | undefined {
  return getTypeCatalog(resourceType)?.byCode.get(code);
}

function buildCatalog(resourceType: string): TypeCatalog {
  const params = getSearchParameters(resourceType) ?? {};
  const byCode = new Map<string, ParamInfo>();
  const byUrl = new Map<string, ParamInfo>();
  const composites: SearchParameter[] = [];
  for (const [code, searchParam] of Object.entries(params)) {
    if (EXCLUDED_CODES.has(code)) {
      continue;
    }
    if (searchParam.type === 'composite') {
      composites.push(searchParam);
      continue;
    }
    const info = buildParamInfo(resourceType, code, searchParam);
    byCode.set(code, info);
    if (searchParam.url) {
      byUrl.set(searchParam.url, info);
    }
  }
  resolveAliases([...byCode.values()]);
  for (const searchParam of composites) {
    byCode.set(searchParam.code as string, buildCompositeInfo(resourceType, searchParam, byUrl, byCode));
  }
  const indexed = [...byCode.values()].filter(
    (p) => !p.unsupported && !p.column && !p.alias && (p.table || p.composite?.ownRows)
  );
  return { resourceType, byCode, indexed, compartmentParam: findCompartmentParam(resourceType, byCode) };
}

function buildParamInfo(resourceType: string, code: string, searchParam: SearchParameter): ParamInfo {
  const kind = searchParam.type as ParamKind;
  const info: ParamInfo = {
    code,
    kind,
    searchParam,
    booleanToken: false,
    canonical: false,
    rowParams: [code],
    alias: false,
    multiple: false,
  };
  if (code === '_id') {
    info.column = 'id';
    return info;
  }
  if (code === '_lastUpdated') {
    info.column = 'lastUpdated';
    return info;
  }
  info.table = KIND_TABLE[kind];
  if (!info.table || !searchParam.expression) {
    info.table = undefined;
    info.unsupported = `search parameter type '${kind}' is not supported`;
    return info;
  }
  try {
    const details = getSearchParameterDetails(resourceType, searchParam);
    info.atom = details.parsedExpression;
    info.booleanToken = details.type === SearchParameterType.BOOLEAN;
    info.canonical = details.type === SearchParameterType.CANONICAL;
    info.multiple = details.array ?? true;
    if (kind === 'reference') {
      info.targetTypes = details.referenceTargetTypes ?? searchParam.target;
      if (info.targetTypes?.includes('Resource' as never)) {
        info.targetTypes = undefined;
      }
    }
  } catch {
    info.table = undefined;
    info.unsupported = 'its expression cannot be evaluated';
    return info;
  }
  info.roots = rootPaths(resourceType, info.atom.child);
  info.branches = unionBranches(info.atom.child).map((b) => b.toString());
  return info;
}

function buildCompositeInfo(
  resourceType: string,
  searchParam: SearchParameter,
  byUrl: Map<string, ParamInfo>,
  byCode: Map<string, ParamInfo>
): ParamInfo {
  const code = searchParam.code as string;
  const info: ParamInfo = {
    code,
    kind: 'composite',
    searchParam,
    booleanToken: false,
    canonical: false,
    rowParams: [],
    alias: false,
    multiple: true,
  };
  const base = filterExpressionForType(resourceType, searchParam.expression ?? '');
  const components: CompositeComponent[] = [];
  for (const [index, component] of (searchParam.component ?? []).entries()) {
    const definition = component.definition ? byUrl.get(component.definition) : undefined;
    const kind = definition?.kind;
    const table = kind ? KIND_TABLE[kind] : undefined;
    if (!definition || definition.unsupported || !kind || !table || table === 'uri' || !component.expression) {
      info.unsupported = 'a component of this composite parameter is not supported';
      return info;
    }
    let atom: FhirPathAtom;
    try {
      atom = parseFhirPath(component.expression);
    } catch {
      info.unsupported = 'a component expression cannot be parsed';
      return info;
    }
    components.push({
      kind,
      table,
      atom,
      definition,
      rowParams: [`${code}#${index}`],
      booleanToken: definition.booleanToken,
    });
  }
  if (!base || components.length < 2) {
    info.unsupported = 'this composite parameter is not supported';
    return info;
  }
  const sameResource = base.child instanceof SymbolAtom && base.child.name === resourceType;
  let ownRows = false;
  if (sameResource) {
    for (const c of components) {
      c.rowParams = c.definition.rowParams;
    }
  } else {
    ownRows = !shareComponentRows(resourceType, base, components, byCode);
  }
  info.composite = { sameResource, ownRows, base, components };
  info.roots = ownRows ? rootPaths(resourceType, base.child) : undefined;
  return info;
}
