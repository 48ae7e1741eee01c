// Parsing of individual search values: prefixes, numbers with implicit precision, quantities, tokens, dates.
import { badRequest, OperationOutcomeError } from '@medplum/core';
import { parseDateRange, type MsRange } from './dates.ts';
import { MAX_INDEXED_BYTES, MAX_SYSTEM_BYTES, truncateUtf8 } from './text.ts';

/** The comparison prefixes of number, date and quantity values. */
export type Prefix = 'eq' | 'ne' | 'gt' | 'lt' | 'ge' | 'le' | 'sa' | 'eb' | 'ap';
const PREFIXES = new Set<string>(['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap']);

export function isPrefix(value: string): value is Prefix {
  return PREFIXES.has(value);
}

/** Longest accepted single search value. */
export const MAX_VALUE_LENGTH = 2048;

export function invalid(message: string): OperationOutcomeError {
  return new OperationOutcomeError(badRequest(message));
}

/**
 * Splits an optional two-letter prefix off a value ("ge2024" → ge, "2024"); values start with a digit or sign,
 * so a leading letter pair that is not a known prefix is an error.
 */
export function splitPrefix(value: string, defaultPrefix: Prefix, paramCode: string): { prefix: Prefix; rest: string } {
  if (/^[a-z]{2}/i.test(value)) {
    const head = value.slice(0, 2);
    if (!isPrefix(head)) {
      throw invalid(`Invalid prefix '${head}' in value of search parameter '${paramCode}'`);
    }
    return { prefix: head, rest: value.slice(2) };
  }
  return { prefix: defaultPrefix, rest: value };
}

const NUMBER_PATTERN = /^([+-]?)(\d{1,40})(?:\.(\d{1,40}))?(?:[eE]([+-]?\d{1,3}))?$/;

/** A decimal search value and half the width of its implicit precision range ("100" → 100 ± 0.5). */
export interface SearchNumber {
  value: string;
  half: string;
}

export function parseSearchNumber(value: string, paramCode: string): SearchNumber {
  const m = NUMBER_PATTERN.exec(value);
  if (!m) {
    throw invalid(`Invalid number '${truncateForMessage(value)}' for search parameter '${paramCode}'`);
  }
  const decimals = m[3]?.length ?? 0;
  const exponent = m[4] ? Number(m[4]) : 0;
  return { value, half: `5e${exponent - decimals - 1}` };
}

/** A quantity search value: number, and optional unit system and code ("5.4|http://unitsofmeasure.org|mg"). */
export interface SearchQuantity {
  number: SearchNumber;
  system?: string;
  code?: string;
}

export function parseSearchQuantity(value: string, paramCode: string): SearchQuantity {
  const parts = splitOnUnescaped(value, '|');
  if (parts.length !== 1 && parts.length !== 3) {
    throw invalid(`Invalid quantity '${truncateForMessage(value)}' for search parameter '${paramCode}'`);
  }
  const number = parseSearchNumber(parts[0], paramCode);
  const system = parts[1] ? parts[1] : undefined;
  const code = parts[2] ? parts[2] : undefined;
  return { number, system, code };
}

export function parseSearchDate(value: string, paramCode: string): MsRange {
  const range = parseDateRange(value);
  if (!range) {
    throw invalid(`Invalid date '${truncateForMessage(value)}' for search parameter '${paramCode}'`);
  }
  return range;
}

/** A token search value: "code", "system|code", "|code" (system must be absent) or "system|". */
export interface SearchToken {
  /** undefined: any system; null: no system. */
  system: string | null | undefined;
  /** undefined: any code. */
  code: string | undefined;
}

export function parseSearchToken(value: string): SearchToken {
  // Truncated as stored values are (text.ts), so long identifiers still match.
  const bar = indexOfUnescaped(value, '|');
  if (bar < 0) {
    return { system: undefined, code: truncateUtf8(unescapeValue(value), MAX_INDEXED_BYTES) };
  }
  const system = truncateUtf8(unescapeValue(value.slice(0, bar)), MAX_SYSTEM_BYTES);
  const code = truncateUtf8(unescapeValue(value.slice(bar + 1)), MAX_INDEXED_BYTES);
  return { system: system === '' ? null : system, code: code === '' ? undefined : code };
}

/** Splits a parameter value into its OR alternatives on unescaped commas. */
export function splitOrValues(value: string): string[] {
  return splitOnUnescaped(value, ',');
}

/** Splits on a separator not preceded by a backslash; the escapes are kept in the parts. */
export function splitOnUnescaped(value: string, separator: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\') {
      i++;
    } else if (c === separator) {
      parts.push(value.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(value.slice(start));
  return parts;
}

function indexOfUnescaped(value: string, separator: string): number {
  for (let i = 0; i < value.length; i++) {
    if (value[i] === '\\') {
      i++;
    } else if (value[i] === separator) {
      return i;
    }
  }
  return -1;
}

/** Removes search escapes ("\,", "\$", "\|", "\\"). */
export function unescapeValue(value: string): string {
  return value.includes('\\') ? value.replace(/\\([\\,$|])/g, '$1') : value;
}

export function truncateForMessage(value: string): string {
  return value.length > 64 ? value.slice(0, 64) + '…' : value;
}

/** Rejects values PostgreSQL or the index cannot take (NUL bytes, absurd lengths) with a 400. */
export function checkValueText(value: string, paramCode: string): void {
  if (value.length > MAX_VALUE_LENGTH) {
    throw invalid(`Value of search parameter '${paramCode}' is too long (max ${MAX_VALUE_LENGTH} characters)`);
  }
  if (value.includes('\0')) {
    throw invalid(`Value of search parameter '${paramCode}' contains a NUL character`);
  }
}
