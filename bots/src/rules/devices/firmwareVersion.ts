// Compares firmware versions the semantic-versioning way (2.10.0 > 2.9.3; 2.4.0-beta < 2.4.0); pure, no I/O.

/** A parsed version: numeric release parts and optional pre-release identifiers. */
interface ParsedVersion {
  release: number[];
  prerelease: (number | string)[];
}

const VERSION = /^v?(\d+(?:\.\d+)*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

/** Parses "2.4.1", "v2.4", "2.4.1-rc.1", "2.4.1+build7"; undefined for anything else (e.g. "B", "2024-06"). */
export function parseVersion(text: string): ParsedVersion | undefined {
  const match = VERSION.exec(text.trim());
  if (!match) {
    return undefined;
  }
  return {
    release: match[1].split('.').map(Number),
    prerelease: match[2] ? match[2].split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p)) : [],
  };
}

/**
 * Negative when a < b, 0 when equal, positive when a > b (SemVer 2.0.0 precedence; missing release parts count as 0,
 * so 2.4 = 2.4.0; build metadata is ignored). Undefined when either is not a version.
 */
export function compareVersions(a: string, b: string): number | undefined {
  const x = parseVersion(a);
  const y = parseVersion(b);
  if (!x || !y) {
    return undefined;
  }
  for (let i = 0; i < Math.max(x.release.length, y.release.length); i++) {
    const diff = (x.release[i] ?? 0) - (y.release[i] ?? 0);
    if (diff !== 0) {
      return Math.sign(diff);
    }
  }
  // A pre-release is older than its release; otherwise identifiers compare one by one.
  if (x.prerelease.length === 0 || y.prerelease.length === 0) {
    return Math.sign(y.prerelease.length - x.prerelease.length);
  }
  for (let i = 0; i < Math.max(x.prerelease.length, y.prerelease.length); i++) {
    const p = x.prerelease[i];
    const q = y.prerelease[i];
    if (p === undefined || q === undefined) {
      return p === undefined ? -1 : 1;
    }
    if (p === q) {
      continue;
    }
    if (typeof p === 'number' && typeof q === 'number') {
      return Math.sign(p - q);
    }
    if (typeof p === 'number' || typeof q === 'number') {
      return typeof p === 'number' ? -1 : 1; // numeric identifiers rank below alphanumeric ones
    }
    return p < q ? -1 : 1;
  }
  return 0;
}

/** True when `installed` is older than `minimum`; undefined when either cannot be read as a version. */
export function isOlderThan(installed: string, minimum: string): boolean | undefined {
  const order = compareVersions(installed, minimum);
  return order === undefined ? undefined : order < 0;
}
