// Chained (subject:Patient.name=x) and reverse-chained (_has:Observation:patient:code=x) search parameters.
import { isResourceType, type Filter } from '@medplum/core';
import { getParamInfo } from './catalog.ts';
import {
  andCondition,
  idsQuery,
  paramRows,
  paramRowsSql,
  probe,
  RANK,
  unknownParam,
  type CompileOptions,
  type Condition,
} from './rowConditions.ts';
import type { SqlParams } from './sql.ts';
import { escapeLike } from './text.ts';
import { invalid, truncateForMessage } from './values.ts';

/** Compiles the filter at the end of a chain (compileFilter, passed in to keep the modules acyclic). */
export type CompileFilter = (
  resourceType: string,
  filter: Filter,
  options: CompileOptions,
  depth: number
) => Condition | undefined;

const MAX_CHAIN_DEPTH = 3;

/**
 * subject:Patient.name=smith: resources whose reference points to a target matching the rest of the chain
 * (up to MAX_CHAIN_DEPTH links). Without a type, every target type having the next parameter is searched.
 */
export function compileChain(
  resourceType: string,
  filter: Filter,
  options: CompileOptions,
  depth: number,
  compileFilter: CompileFilter
): Condition | undefined {
  if (depth >= MAX_CHAIN_DEPTH) {
    throw invalid(
      `Chained search parameter '${truncateForMessage(filter.code)}' is too deep (max ${MAX_CHAIN_DEPTH} links)`
    );
  }
  const dot = filter.code.indexOf('.');
  const link = filter.code.slice(0, dot);
  const rest = filter.code.slice(dot + 1);
  const [code, explicitType, ...extra] = link.split(':');
  const info = getParamInfo(resourceType, code);
  if (!info || info.kind !== 'reference' || extra.length > 0) {
    return unknownParam(
      `Invalid chained search parameter '${truncateForMessage(filter.code)}': '${truncateForMessage(code)}' is not a reference parameter of ${resourceType}`,
      filter,
      options
    );
  }
  const nextCode = rest.split(/[.:]/)[0];
  let targets: string[];
  if (explicitType) {
    if (!isResourceType(explicitType) || (info.targetTypes && !info.targetTypes.includes(explicitType))) {
      throw invalid(
        `Invalid chained search parameter '${truncateForMessage(filter.code)}': ${truncateForMessage(explicitType)} is not a target of '${truncateForMessage(code)}'`
      );
    }
    targets = [explicitType];
  } else {
    targets = (info.targetTypes ?? []).filter((t) => nextCode.startsWith('_has') || getParamInfo(t, nextCode));
    if (targets.length === 0) {
      return unknownParam(
        `Invalid chained search parameter '${truncateForMessage(filter.code)}': ${info.targetTypes ? `no target of '${truncateForMessage(code)}' has parameter '${truncateForMessage(nextCode)}'` : `'${truncateForMessage(code)}' needs a type, e.g. ${truncateForMessage(code)}:Patient.${truncateForMessage(rest)}`}`,
        filter,
        options
      );
    }
  }
  const inner: { type: string; condition: Condition }[] = [];
  for (const type of targets) {
    const condition = compileFilter(
      type,
      { code: rest, operator: filter.operator, value: filter.value },
      { ...options, ignored: undefined, compartment: undefined },
      depth + 1
    );
    if (condition) {
      inner.push({ type, condition: restricted(type, condition, options) });
    }
  }
  if (inner.length === 0) {
    return unknownParam(`Invalid chained search parameter '${truncateForMessage(filter.code)}'`, filter, options);
  }
  const refs = (p: SqlParams): string =>
    inner
      .map(({ type, condition }) => {
        const t = p.alias('t');
        return `SELECT ${p.add(type + '/', 'text')} || ${t}.id FROM (${idsQuery(p, type, [condition])}) ${t}`;
      })
      .join(' UNION ALL ');
  const rows = paramRows(info);
  return {
    rank: RANK.chain,
    test: (p, row) => {
      const x = p.alias('r');
      return probe(
        `search_reference ${x} WHERE ${x}.resource_type = ${p.add(resourceType, 'text')} AND ${paramRowsSql(p, x, rows)}` +
          ` AND ${x}.resource_id = ${row.id} AND ${x}.ref IN (${refs(p)})`
      );
    },
    ids: (p) => {
      const x = p.alias('r');
      return (
        `SELECT DISTINCT ${x}.resource_id AS id FROM search_reference ${x} WHERE ${x}.resource_type = ${p.add(resourceType, 'text')}` +
        ` AND ${paramRowsSql(p, x, rows)} AND ${x}.ref IN (${refs(p)})`
      );
    },
  };
}

/** _has:Observation:patient:code=1234: resources referred to (through `patient`) by an Observation matching code=1234. */
export function compileReverseChain(
  resourceType: string,
  filter: Filter,
  options: CompileOptions,
  depth: number,
  compileFilter: CompileFilter
): Condition | undefined {
  if (depth >= MAX_CHAIN_DEPTH) {
    throw invalid(
      `Reverse chained search parameter '${truncateForMessage(filter.code)}' is too deep (max ${MAX_CHAIN_DEPTH} links)`
    );
  }
  const [, sourceType, param, ...restParts] = filter.code.split(':');
  const rest = restParts.join(':');
  if (!sourceType || !param || !rest || !isResourceType(sourceType)) {
    throw invalid(
      `Invalid _has parameter '${truncateForMessage(filter.code)}': expected _has:Type:reference-param:search-param`
    );
  }
  const info = getParamInfo(sourceType, param);
  if (!info || info.kind !== 'reference' || (info.targetTypes && !info.targetTypes.includes(resourceType))) {
    throw invalid(
      `Invalid _has parameter '${truncateForMessage(filter.code)}': '${truncateForMessage(param)}' of ${truncateForMessage(sourceType)} cannot refer to ${resourceType}`
    );
  }
  const compiled = compileFilter(
    sourceType,
    { code: rest, operator: filter.operator, value: filter.value },
    { ...options, ignored: undefined, compartment: undefined },
    depth + 1
  );
  if (!compiled) {
    return unknownParam(`Invalid _has parameter '${truncateForMessage(filter.code)}'`, filter, options);
  }
  const inner = restricted(sourceType, compiled, options);
  const prefix = resourceType + '/';
  const rows = paramRows(info);
  return {
    rank: RANK.chain,
    test: (p, row) => {
      const h = p.alias('h');
      return probe(
        `search_reference ${h} WHERE ${h}.resource_type = ${p.add(sourceType, 'text')} AND ${paramRowsSql(p, h, rows)}` +
          ` AND ${h}.ref = ${p.add(prefix, 'text')} || ${row.id} AND (${inner.test(p, { id: `${h}.resource_id` })})`
      );
    },
    ids: (p) => {
      const h = p.alias('h');
      return (
        `SELECT DISTINCT (substr(${h}.ref, ${p.add(prefix.length + 1, 'int4')}) COLLATE "default") AS id FROM search_reference ${h}` +
        ` WHERE ${h}.resource_type = ${p.add(sourceType, 'text')} AND ${paramRowsSql(p, h, rows)}` +
        ` AND ${h}.ref LIKE ${p.add(escapeLike(prefix) + '%', 'text')} AND ${h}.resource_id IN (${idsQuery(p, sourceType, [inner])})`
      );
    },
  };
}

/** Only candidates the caller may see can satisfy a chain or _has: AND the type's access restriction, if any. */
function restricted(resourceType: string, condition: Condition, options: CompileOptions): Condition {
  const restriction = options.restrict?.(resourceType);
  return restriction ? andCondition(resourceType, [condition, restriction]) : condition;
}
