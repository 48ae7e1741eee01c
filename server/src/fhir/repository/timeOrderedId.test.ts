// Time-ordered ids: valid version-7 UUIDs, unique, and sorted by creation time.
import { describe, expect, test } from 'vitest';
import { timeOrderedId } from './timeOrderedId.ts';

describe('timeOrderedId', () => {
  test('is a version 7, RFC 9562 variant UUID carrying the time', () => {
    const id = timeOrderedId(Date.UTC(2026, 10, 23, 12, 0, 0));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(Date.UTC(2026, 10, 23, 12, 0, 0));
  });

  test('ids from later milliseconds sort after earlier ones, and 100,000 ids are distinct', () => {
    expect(timeOrderedId(1_000) < timeOrderedId(2_000)).toBe(true);
    const ids = new Set(Array.from({ length: 100_000 }, () => timeOrderedId()));
    expect(ids.size).toBe(100_000);
  });
});
