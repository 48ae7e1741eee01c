// Compiles search filters into SQL conditions over the index tables (EXISTS probes, or id sets that can drive a query).
import { isResourceType, type Filter } from '@medplum/core';
import { getParamInfo, getTypeCatalog, type ParamInfo } from './catalog.ts';
import { compileChain, compileReverseChain } from './chains.ts';
import { compileComposite, groupedComposite } from './composite.ts';
import {
  andCondition,
  anyOf,
  constant,
  identifierRows,
  negateCondition,
  orCondition,
  paramRows,
  probe,
  RANK,
  RECENT_RANGE_MS,
  requireOperator,
  rowCondition,
  SELF_SCOPED,
  unknownParam,
  type CompartmentKeys,
  type CompileOptions,
  type Condition,
  type Predicate,
} from './rowConditions.ts';
import {
  dateRangeStart,
  datePredicate,
  defaultPrefix,
  orderedPredicate,
  referenceCandidates,
  stringPredicate,
  tokenPredicates,
} from './predicates.ts';
import type { SqlParams } from './sql.ts';
import { escapeLike, MAX_INDEXED_BYTES, normalizeText, truncateUtf8 } from './text.ts';
import {
  checkValueText,
  invalid,
  parseSearchDate,
  splitOrValues,
  splitPrefix,
  truncateForMessage,
  unescapeValue,
} from './values.ts';

export type { CompileOptions, Condition } from './rowConditions.ts';

const MAX_OR_VALUES = 1000;

/**
 * Compiles one filter for a resource type; returns undefined when the filter is ignored (lenient mode).
 * Throws a 400 OperationOutcomeError for invalid values and (strict mode) unknown or unsupported parameters.
 */
export function compileFilter(
  resourceType: string,
  filter: Filter,
  options: CompileOptions,
  depth = 0
): Condition | undefined {
  const value = filter.value ?? '';
  if (typeof value !== 'string') {
    throw invalid(`Invalid value for search parameter '${truncateForMessage(filter.code)}'`);
  }
  if (filter.code.startsWith('_has:') || filter.code === '_has') {
    return compileReverseChain(resourceType, filter, options, depth, compileFilter);
  }
  if (filter.code.includes('.')) {
    return compileChain(resourceType, filter, options, depth, compileFilter);
  }
  let code = filter.code;
  let operator: string = filter.operator;
  const colon = code.indexOf(':');
  if (colon >= 0) {
    // "name:exact" as one code (chained filters carry their modifier this way).
    const modifier = code.slice(colon + 1);
    code = code.slice(0, colon);
    operator = modifier;
  }
  const info = getParamInfo(resourceType, code);
  if (!info) {
    return unknownParam(
      `Unknown search parameter '${truncateForMessage(code)}' for resource type ${resourceType}`,
      filter,
      options
    );
  }
  if (info.unsupported) {
    return unknownParam(
      `Search parameter '${truncateForMessage(code)}' is not supported: ${info.unsupported}`,
      filter,
      options
    );
  }
  if (operator === 'missing') {
    return compileMissing(resourceType, info, value, options.compartment);
  }
  const parts = splitOrValues(value);
  if (parts.length > MAX_OR_VALUES) {
    throw invalid(`Too many values for search parameter '${truncateForMessage(code)}' (max ${MAX_OR_VALUES})`);
  }
  for (const part of parts) {
    checkValueText(part, code);
  }
  if (info.column === 'id') {
    return compileId(resourceType, code, operator, parts);
  }
  if (info.column === 'lastUpdated') {
    return compileLastUpdated(resourceType, code, operator, parts);
  }
  if (info.composite) {
    requireOperator(code, operator, ['eq']);
    return compileComposite(resourceType, info, parts, options.fhirBaseUrl, options.compartment);
  }
  switch (info.kind) {
    case 'token':
      return compileToken(resourceType, info, operator, parts, options.compartment);
    case 'string':
      return compileString(resourceType, info, operator, parts);
    case 'reference':
      return compileReference(resourceType, info, operator, parts, options);
    case 'uri':
      return compileUri(resourceType, info, operator, parts);
    case 'date':
    case 'number':
    case 'quantity':
      return compileOrdered(resourceType, info, operator, parts, options.compartment);
    default:
      return unknownParam(`Search parameter '${truncateForMessage(code)}' is not supported`, filter, options);
  }
}

function compileMissing(
  resourceType: string,
  info: ParamInfo,
  value: string,
  compartment?: CompartmentKeys
): Condition {
  if (value !== 'true' && value !== 'false') {
    throw invalid(`Value of ${info.code}:missing must be true or false`);
  }
  const missing = value === 'true';
  if (info.column) {
    // _id and _lastUpdated are always present.
    return constant(!missing);
  }
  let present: Condition;
  if (info.composite?.sameResource) {
    present = andCondition(
      resourceType,
      info.composite.components.map((c) => presentCondition(resourceType, c.definition))
    );
  } else if (info.composite) {
    present = groupedComposite(
      resourceType,
      info.composite.components,
      info.composite.components.map(() => undefined),
      compartment
    );
  } else {
    present = presentCondition(resourceType, info);
  }
  return missing ? negateCondition(present) : present;
}

function presentCondition(resourceType: string, info: ParamInfo): Condition {
  const rows = rowCondition(resourceType, paramRows(info), undefined, RANK.present);
  if (info.kind !== 'reference') {
    return rows;
  }
  // Identifier-only references are indexed as tokens of "<param>:identifier".
  const identifiers = rowCondition(resourceType, identifierRows(info), undefined, RANK.present);
  return orCondition([rows, identifiers]);
}

function compileId(resourceType: string, code: string, operator: string, parts: string[]): Condition {
  requireOperator(code, operator, ['eq', 'not']);
  const ids = parts.map(unescapeValue);
  if (operator === 'not') {
    return { rank: Infinity, test: (p, row) => `${row.id} <> ALL(${p.add(ids, 'text[]')})` };
  }
  return {
    rank: RANK.id,
    test: (p, row) => `${row.id} = ANY(${p.add(ids, 'text[]')})`,
    ids: (p) => {
      const r = p.alias('u');
      return `SELECT ${r}.id FROM resource ${r} WHERE ${r}.resource_type = ${p.add(resourceType, 'text')} AND ${r}.id = ANY(${p.add(ids, 'text[]')}) AND NOT ${r}.deleted`;
    },
  };
}

function compileLastUpdated(resourceType: string, code: string, operator: string, parts: string[]): Condition {
  const predicates = parts.map((part) => {
    const { prefix, rest } = splitPrefix(part, defaultPrefix(code, operator), code);
    const range = parseSearchDate(rest, code);
    return (p: SqlParams, column: string) => datePredicate(p, column, column, prefix, range);
  });
  const predicate = (p: SqlParams, column: string): string =>
    predicates.length === 1 ? predicates[0](p, column) : predicates.map((f) => `(${f(p, column)})`).join(' OR ');
  return {
    rank: RANK.lastUpdated,
    test(p, row) {
      if (row.lastUpdated) {
        return predicate(p, row.lastUpdated);
      }
      const r = p.alias('u');
      return probe(
        `resource ${r} WHERE ${r}.resource_type = ${p.add(resourceType, 'text')} AND ${r}.id = ${row.id} AND (${predicate(p, `${r}.last_updated`)})`
      );
    },
    ids: (p) => {
      const r = p.alias('u');
      return `SELECT ${r}.id FROM resource ${r} WHERE ${r}.resource_type = ${p.add(resourceType, 'text')} AND NOT ${r}.deleted AND (${predicate(p, `${r}.last_updated`)})`;
    },
  };
}

function compileToken(
  resourceType: string,
  info: ParamInfo,
  operator: string,
  parts: string[],
  compartment?: CompartmentKeys
): Condition {
  requireOperator(info.code, operator, ['eq', 'not', 'text']);
  if (operator === 'text') {
    const predicates = parts.map((part): Predicate => {
      const norm = escapeLike(normalizeText(unescapeValue(part)));
      // Starts the text or one of its words.
      return (p, a) =>
        `${a}.text LIKE ${p.add(norm + '%', 'text')} OR ${a}.text LIKE ${p.add('% ' + norm + '%', 'text')}`;
    });
    return rowCondition(resourceType, paramRows(info), anyOf(predicates), RANK.contains, false, compartment);
  }
  const predicate = tokenPredicates(info, parts);
  const rank = info.code === 'identifier' ? RANK.identifier : RANK.token;
  return rowCondition(resourceType, paramRows(info), predicate, rank, operator === 'not', compartment);
}

function compileString(resourceType: string, info: ParamInfo, operator: string, parts: string[]): Condition {
  const op = operator === 'sw' ? 'eq' : operator;
  requireOperator(info.code, op, ['eq', 'exact', 'contains']);
  const rank = op === 'exact' ? RANK.exact : op === 'contains' ? RANK.contains : RANK.string;
  return rowCondition(resourceType, paramRows(info), anyOf(parts.map((part) => stringPredicate(op, part))), rank);
}

function compileUri(resourceType: string, info: ParamInfo, operator: string, parts: string[]): Condition {
  requireOperator(info.code, operator, ['eq', 'below', 'above']);
  const values = parts.map((part) => truncateUtf8(unescapeValue(part), MAX_INDEXED_BYTES));
  let predicate: Predicate;
  if (operator === 'below') {
    predicate = anyOf(
      values.map(
        (v): Predicate =>
          (p, a) =>
            `${a}.value LIKE ${p.add(escapeLike(v) + '%', 'text')}`
      )
    );
  } else if (operator === 'above') {
    predicate = anyOf(
      values.map(
        (v): Predicate =>
          (p, a) =>
            `starts_with(${p.add(v, 'text')}, ${a}.value)`
      )
    );
  } else {
    predicate = (p, a) => `${a}.value = ANY(${p.add(values, 'text[]')})`;
  }
  return rowCondition(resourceType, paramRows(info), predicate, operator === 'eq' ? RANK.uri : RANK.string);
}

function compileReference(
  resourceType: string,
  info: ParamInfo,
  operator: string,
  parts: string[],
  options: CompileOptions
): Condition {
  if (operator === 'identifier') {
    const predicate = tokenPredicates({ code: info.code, booleanToken: false }, parts);
    return rowCondition(resourceType, identifierRows(info), predicate, RANK.identifier);
  }
  let typed: string | undefined;
  if (operator !== 'eq' && operator !== 'not') {
    // A type modifier: subject:Patient=123.
    if (!isResourceType(operator)) {
      throw invalid(`Modifier '${truncateForMessage(operator)}' is not supported for search parameter '${info.code}'`);
    }
    typed = operator;
  }
  const refs = parts.flatMap((part) => {
    const value = unescapeValue(part);
    return typed && !value.includes('/') ? [`${typed}/${value}`] : referenceCandidates(info, part, options.fhirBaseUrl);
  });
  const predicate: Predicate = (p, a) => `${a}.ref = ANY(${p.add(refs, 'text[]')})`;
  const definesCompartment =
    typeof options.compartment === 'string' &&
    operator === 'eq' &&
    parts.length === 1 &&
    info.rowParams[0] === getTypeCatalog(resourceType)?.compartmentParam;
  return rowCondition(
    resourceType,
    paramRows(info),
    predicate,
    RANK.reference,
    operator === 'not',
    definesCompartment ? SELF_SCOPED : undefined
  );
}

function compileOrdered(
  resourceType: string,
  info: ParamInfo,
  operator: string,
  parts: string[],
  compartment?: CompartmentKeys
): Condition {
  const predicate = anyOf(parts.map((part) => orderedPredicate(info.kind, info.code, operator, part)));
  const rank =
    info.kind !== 'date'
      ? RANK.quantity
      : parts.every((part) => (dateRangeStart(info.code, operator, part) ?? -Infinity) >= Date.now() - RECENT_RANGE_MS)
        ? RANK.recentDate
        : RANK.date;
  const descending = operator === 'ge' || operator === 'gt';
  const oneSided = descending || operator === 'le' || operator === 'lt' ? { param: info.code, descending } : undefined;
  return rowCondition(resourceType, paramRows(info), predicate, rank, false, compartment, oneSided);
}
