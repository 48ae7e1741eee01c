// Value predicates per parameter kind (token, string, reference, date, number, quantity) on an index table alias.
import { getResourceTypes } from '@medplum/core';
import type { ParamInfo, ParamKind } from './catalog.ts';
import { anyOf, type Alias, type Predicate } from './rowConditions.ts';
import { toIso, type MsRange } from './dates.ts';
import { normalizeReference } from './indexRows.ts';
import type { SqlParams } from './sql.ts';
import { escapeLike, MAX_INDEXED_BYTES, MAX_INDEXED_STRING, normalizeText, truncate, truncateUtf8 } from './text.ts';
import {
  invalid,
  isPrefix,
  parseSearchDate,
  parseSearchNumber,
  parseSearchQuantity,
  parseSearchToken,
  splitPrefix,
  truncateForMessage,
  unescapeValue,
  type Prefix,
  type SearchNumber,
} from './values.ts';

export function defaultPrefix(code: string, operator: string): Prefix {
  if (operator === 'eq') {
    return 'eq';
  }
  if (isPrefix(operator)) {
    return operator;
  }
  throw invalid(
    `Modifier '${truncateForMessage(operator)}' is not supported for search parameter '${truncateForMessage(code)}'`
  );
}

export function tokenPredicate(info: { code: string; booleanToken: boolean }, part: string): Predicate {
  const token = parseSearchToken(part);
  if (token.system === null && token.code === undefined) {
    throw invalid(`Invalid token '${truncateForMessage(part)}' for search parameter '${info.code}'`);
  }
  if (info.booleanToken && token.code !== undefined && token.code !== 'true' && token.code !== 'false') {
    throw invalid(`Value of search parameter '${info.code}' must be true or false`);
  }
  return (p, a) => {
    const terms: string[] = [];
    if (token.code !== undefined) {
      terms.push(`${a}.value = ${p.add(token.code, 'text')}`);
    }
    if (token.system === null) {
      terms.push(`${a}.system IS NULL`);
    } else if (token.system !== undefined) {
      terms.push(`${a}.system = ${p.add(token.system, 'text')}`);
    }
    return terms.join(' AND ');
  };
}

export function tokenPredicates(info: { code: string; booleanToken: boolean }, parts: string[]): Predicate {
  const tokens = parts.map(parseSearchToken);
  if (tokens.length > 1 && tokens.every((t) => t.system === undefined && t.code !== undefined) && !info.booleanToken) {
    // Plain codes: one = ANY(...) the index can use directly.
    const codes = tokens.map((t) => t.code as string);
    return (p, a) => `${a}.value = ANY(${p.add(codes, 'text[]')})`;
  }
  const exact = anyOf(parts.map((part) => tokenPredicate(info, part)));
  if (tokens.length > 1 && tokens.every((t) => t.code !== undefined)) {
    // Codes with systems (code=http://loinc.org|8867-4,http://loinc.org|59408-5): the codes as one = ANY(...) the
    // index reads directly (with a patient's compartment keys, one short range per code and patient), the exact
    // system|code pairs tested on those rows. As an OR of pairs alone, PostgreSQL scanned every code row of the type.
    const codes = [...new Set(tokens.map((t) => t.code as string))];
    return (p, a) => `${a}.value = ANY(${p.add(codes, 'text[]')}) AND (${exact(p, a)})`;
  }
  return exact;
}

export function stringPredicate(operator: string, part: string): Predicate {
  const raw = unescapeValue(part);
  const norm = normalizeText(raw);
  if (operator === 'exact') {
    const exact = truncate(raw, MAX_INDEXED_STRING);
    return (p, a) => `${a}.norm = ${p.add(norm, 'text')} AND coalesce(${a}.exact, ${a}.norm) = ${p.add(exact, 'text')}`;
  }
  if (operator === 'contains') {
    return (p, a) => `${a}.norm LIKE ${p.add('%' + escapeLike(norm) + '%', 'text')}`;
  }
  return (p, a) => `${a}.norm LIKE ${p.add(escapeLike(norm) + '%', 'text')}`;
}

/** The stored reference strings a reference search value can match. */
export function referenceCandidates(info: ParamInfo, part: string, fhirBaseUrl: string): string[] {
  let value = unescapeValue(part);
  if (info.canonical) {
    return [truncateUtf8(value, MAX_INDEXED_BYTES)];
  }
  const base = fhirBaseUrl.replace(/\/+$/, '') + '/';
  if (value.startsWith(base)) {
    value = value.slice(base.length);
  }
  value = normalizeReference(value);
  let relative: string[];
  if (value.includes(':') || value.startsWith('#')) {
    return [value];
  } else if (value.includes('/')) {
    relative = [value];
  } else {
    relative = (info.targetTypes ?? getResourceTypes()).map((t) => `${t}/${value}`);
  }
  // References written as absolute URLs to this server match too.
  return fhirBaseUrl ? [...relative, ...relative.map((r) => truncateUtf8(base + r, MAX_INDEXED_BYTES))] : relative;
}

/** Inclusive-range comparison of a stored range [low, high] with a search range, per the FHIR prefix semantics. */
export function datePredicate(p: SqlParams, low: string, high: string, prefix: Prefix, range: MsRange): string {
  const lo = () => p.add(toIso(range.low), 'timestamptz');
  const hi = () => p.add(toIso(range.high), 'timestamptz');
  switch (prefix) {
    case 'eq':
      return `${low} >= ${lo()} AND ${high} <= ${hi()}`;
    case 'ne':
      return `NOT (${low} >= ${lo()} AND ${high} <= ${hi()})`;
    case 'gt':
      return `${high} > ${hi()}`;
    case 'lt':
      return `${low} < ${lo()}`;
    case 'ge':
      return `${high} >= ${lo()}`;
    case 'le':
      return `${low} <= ${hi()}`;
    case 'sa':
      return `${low} > ${hi()}`;
    case 'eb':
      return `${high} < ${lo()}`;
    case 'ap': {
      // Approximately: the search range widened by 10% of its distance from now (at least a day).
      const gap = Math.max(Math.abs(Date.now() - range.low) * 0.1, 86_400_000);
      const from = p.add(toIso(range.low - gap), 'timestamptz');
      const to = p.add(toIso(range.high + gap), 'timestamptz');
      return `${low} <= ${to} AND ${high} >= ${from}`;
    }
  }
}

export function numberPredicate(p: SqlParams, a: Alias, prefix: Prefix, n: SearchNumber): string {
  const v = () => p.add(n.value, 'numeric');
  switch (prefix) {
    case 'eq':
    case 'ne': {
      const half = p.add(n.half, 'numeric');
      const eq = `${a}.low >= ${v()} - ${half} AND ${a}.high < ${v()} + ${half}`;
      return prefix === 'eq' ? eq : `NOT (${eq})`;
    }
    case 'gt':
      return `${a}.high > ${v()}`;
    case 'lt':
      return `${a}.low < ${v()}`;
    case 'ge':
      return `${a}.high >= ${v()}`;
    case 'le':
      return `${a}.low <= ${v()}`;
    case 'sa':
      return `${a}.low > ${v()}`;
    case 'eb':
      return `${a}.high < ${v()}`;
    case 'ap':
      return `${a}.low <= ${v()} + abs(${v()}) * 0.1 AND ${a}.high >= ${v()} - abs(${v()}) * 0.1`;
  }
}

/**
 * The earliest instant (ms) a stored date can have and match this date search value, or undefined when the value sets
 * no lower bound (lt, le, eb, ne, and ap, which widens the range).
 */
export function dateRangeStart(code: string, operator: string, part: string): number | undefined {
  const { prefix, rest } = splitPrefix(part, defaultPrefix(code, operator), code);
  const range = parseSearchDate(rest, code);
  switch (prefix) {
    case 'eq':
    case 'ge':
      return range.low;
    case 'gt':
    case 'sa':
      return range.high;
    default:
      return undefined;
  }
}

/** The predicate of one ordered value ("ge2024", "gt5.4|http://unitsofmeasure.org|mg", "100"). */
export function orderedPredicate(kind: ParamKind, code: string, operator: string, part: string): Predicate {
  const { prefix, rest } = splitPrefix(part, defaultPrefix(code, operator), code);
  if (kind === 'date') {
    const range = parseSearchDate(rest, code);
    return (p, a) => datePredicate(p, `${a}.low`, `${a}.high`, prefix, range);
  }
  if (kind === 'number') {
    const n = parseSearchNumber(rest, code);
    return (p, a) => numberPredicate(p, a, prefix, n);
  }
  const q = parseSearchQuantity(rest, code);
  return (p, a) => {
    const terms = [numberPredicate(p, a, prefix, q.number)];
    if (q.system) {
      terms.push(`${a}.system = ${p.add(unescapeValue(q.system), 'text')}`);
    }
    if (q.code) {
      const unit = p.add(unescapeValue(q.code), 'text');
      terms.push(q.system ? `${a}.unit_code = ${unit}` : `(${a}.unit_code = ${unit} OR ${a}.unit = ${unit})`);
    }
    return terms.join(' AND ');
  };
}
