// Text helpers shared by indexing and querying: case/accent folding, truncation, LIKE escaping.

/** Longest string value kept in an index row; longer values are truncated (prefix searches still work). */
export const MAX_INDEXED_STRING = 256;
/**
 * Longest token value, uri or reference kept in an index row, in UTF-8 bytes, and longest token system: together
 * they keep every btree entry well under PostgreSQL's limit (~2.7 kB). Longer values are truncated alike when
 * stored and when searched.
 */
export const MAX_INDEXED_BYTES = 1024;
export const MAX_SYSTEM_BYTES = 512;

const ASCII = /^[\x20-\x7e]*$/;
const COMBINING_MARKS = /[\u0300-\u036f]/g;

/** Folds case and strips accents, so "Ängström" and "angstrom" compare equal; the result is truncated. */
export function normalizeText(value: string): string {
  const folded = ASCII.test(value)
    ? value.toLowerCase()
    : value.normalize('NFD').replace(COMBINING_MARKS, '').toLowerCase().normalize('NFC');
  return truncate(folded, MAX_INDEXED_STRING);
}

/** Truncates to at most max UTF-16 units without splitting a surrogate pair. */
export function truncate(value: string, max: number): string {
  if (value.length <= max) {
    return value;
  }
  let end = max;
  const code = value.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) {
    end--;
  }
  return value.slice(0, end);
}

/** Truncates to at most maxBytes of UTF-8 without splitting a character. */
export function truncateUtf8(value: string, maxBytes: number): string {
  if (value.length * 3 <= maxBytes) {
    return value;
  }
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length <= maxBytes) {
    return value;
  }
  let end = maxBytes;
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) {
    end--;
  }
  return bytes.subarray(0, end).toString('utf8');
}

/** Escapes LIKE wildcards; patterns built from it must use ESCAPE '\'. */
export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => '\\' + c);
}
