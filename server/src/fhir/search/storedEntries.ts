// Search result entries that keep the stored JSON text, so a response is written without parsing and re-serialising.
import type { WithId } from '@medplum/core';
import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';

const STORED_JSON = Symbol('storedJson');

type StoredEntry = BundleEntry<WithId<Resource>> & { [STORED_JSON]?: string };

/**
 * A match entry whose `resource` is parsed only when someone reads it. Until then the entry carries the stored text;
 * reading or replacing `resource` drops the text, so a changed resource is never answered with stale JSON.
 */
export function storedMatchEntry(fullUrl: string, content: string): BundleEntry<WithId<Resource>> {
  let parsed: WithId<Resource> | undefined;
  const entry = { fullUrl } as StoredEntry;
  Object.defineProperty(entry, 'resource', {
    enumerable: true,
    configurable: true,
    get() {
      delete entry[STORED_JSON];
      parsed ??= JSON.parse(content) as WithId<Resource>;
      return parsed;
    },
    set(value: WithId<Resource>) {
      delete entry[STORED_JSON];
      parsed = value;
    },
  });
  entry.search = { mode: 'match' };
  entry[STORED_JSON] = content;
  return entry;
}

/** JSON text of a Bundle, splicing in the stored text of entries whose resource nobody has touched. */
export function bundleToJson(bundle: Bundle): string {
  const entries = bundle.entry as StoredEntry[] | undefined;
  if (!entries?.some((e) => e[STORED_JSON] !== undefined)) {
    return JSON.stringify(bundle);
  }
  const { entry: _entries, ...rest } = bundle;
  const head = JSON.stringify(rest);
  const parts = entries.map((e) => {
    const stored = e[STORED_JSON];
    if (stored === undefined) {
      return JSON.stringify(e);
    }
    const search = e.search ? `,"search":${JSON.stringify(e.search)}` : '';
    return `{"fullUrl":${JSON.stringify(e.fullUrl)},"resource":${stored}${search}}`;
  });
  return `${head.slice(0, -1)}${head.length > 2 ? ',' : ''}"entry":[${parts.join(',')}]}`;
}
