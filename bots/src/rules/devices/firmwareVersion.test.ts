// Firmware version comparison: boundaries of SemVer precedence and versions that cannot be compared.
import { describe, expect, test } from 'vitest';
import { compareVersions, isOlderThan, parseVersion } from './firmwareVersion.ts';

describe('compareVersions', () => {
  test.each([
    ['2.4.0', '2.4.0', 0],
    ['2.4', '2.4.0', 0],
    ['v2.4.1', '2.4.1', 0],
    ['2.4.1+build7', '2.4.1', 0],
    ['2.3.9', '2.4.0', -1],
    ['2.4.0', '2.3.9', 1],
    ['2.10.0', '2.9.9', 1],
    ['10.0', '9.99.99', 1],
    ['2.4.0-beta', '2.4.0', -1],
    ['2.4.0', '2.4.0-rc.1', 1],
    ['2.4.0-alpha', '2.4.0-alpha.1', -1],
    ['2.4.0-alpha.1', '2.4.0-alpha.beta', -1],
    ['2.4.0-beta.2', '2.4.0-beta.11', -1],
    ['2.4.0-rc.1', '2.4.0-beta.11', 1],
    ['1.0.0-rc.1', '1.0.0-rc.1', 0],
  ])('%s vs %s → %i', (a, b, expected) => {
    expect(compareVersions(a, b)).toBe(expected);
  });

  test('text that is not a version is not compared', () => {
    expect(parseVersion('B')).toBeUndefined();
    expect(compareVersions('B', '2.0')).toBeUndefined();
    expect(compareVersions('2.0', '')).toBeUndefined();
    expect(isOlderThan('firmware 2', '2.0')).toBeUndefined();
  });

  test('isOlderThan: the minimum itself is not older; one patch below is', () => {
    expect(isOlderThan('2.4.0', '2.4.0')).toBe(false);
    expect(isOlderThan('2.3.99', '2.4.0')).toBe(true);
    expect(isOlderThan('2.4.1', '2.4.0')).toBe(false);
  });
});
