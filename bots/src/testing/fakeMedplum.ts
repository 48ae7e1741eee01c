// Test helper: a minimal in-memory stand-in for the few MedplumClient methods the bot handlers call (not a FHIR server).
import { accepted, OperationOutcomeError, preconditionFailed } from '@medplum/core';
import type { MedplumClient, MedplumRequestOptions, QueryTypes } from '@medplum/core';
import type { Bundle, BundleEntry, Resource, ResourceType } from '@medplum/fhirtypes';

/**
 * Search supports only what the handlers use, and throws on anything else, so a handler that starts using a new
 * search parameter fails here first: _id, _count, _total (ignored), _elements (top-level names), _sort (date, -date), identifier (system|value), status,
 * lifecycle-status, url, subject and patient (literal references, comma-separated), code (comma-separated system|code) and date
 * (ge/le/gt/lt on Observation.effectiveDateTime). Updates honour If-Match. The real server's behaviour (paging,
 * search index timing, transactions, access control) is not imitated: the handlers must be re-tested against it.
 */
export class FakeMedplum {
  readonly resources = new Map<string, Resource>();
  readonly log: string[] = [];
  private nextId = 1;
  private clock = Date.parse('2025-01-01T00:00:00Z');

  /** The fake as the MedplumClient the handlers take. */
  get client(): MedplumClient {
    return this as unknown as MedplumClient;
  }

  /** Stores resources as they are (ids kept, version 1 when absent). */
  seed(...resources: Resource[]): void {
    for (const resource of resources) {
      const id = resource.id ?? `seed-${this.nextId++}`;
      this.resources.set(`${resource.resourceType}/${id}`, {
        ...resource,
        id,
        meta: { ...resource.meta, versionId: resource.meta?.versionId ?? '1', lastUpdated: this.tick() },
      });
    }
  }

  all<T extends Resource>(resourceType: T['resourceType']): T[] {
    return [...this.resources.values()].filter((r) => r.resourceType === resourceType) as T[];
  }

  private tick(): string {
    this.clock += 1000;
    return new Date(this.clock).toISOString();
  }

  async searchResources(resourceType: ResourceType, query?: QueryTypes): Promise<Resource[]> {
    this.log.push(`search ${resourceType}?${new URLSearchParams(params(query)).toString()}`);
    return this.search(resourceType, query);
  }

  /** Pages of `_count` results (all in one page without it), as MedplumClient follows `next` links. */
  async *searchResourcePages(resourceType: ResourceType, query?: QueryTypes): AsyncGenerator<Resource[]> {
    this.log.push(`search pages ${resourceType}?${new URLSearchParams(params(query)).toString()}`);
    const all = this.search(
      resourceType,
      params(query).filter(([name]) => name !== '_count')
    );
    const size = Number(params(query).find(([name]) => name === '_count')?.[1] ?? all.length) || all.length;
    for (let from = 0; from < all.length; from += size) {
      yield all.slice(from, from + size);
    }
  }

  async createResource<T extends Resource>(resource: T): Promise<T> {
    const id = `${resource.resourceType.toLowerCase()}-${this.nextId++}`;
    const created = { ...resource, id, meta: { ...resource.meta, versionId: '1', lastUpdated: this.tick() } };
    this.resources.set(`${resource.resourceType}/${id}`, created);
    this.log.push(`create ${resource.resourceType}/${id}`);
    return structuredClone(created);
  }

  /** As a FHIR server: the one match, or a new resource, or 412 when the criteria match several. */
  async createResourceIfNoneExist<T extends Resource>(resource: T, query: string): Promise<T> {
    const existing = this.search(resource.resourceType, query);
    if (existing.length > 1) {
      throw new OperationOutcomeError(preconditionFailed);
    }
    return existing.length ? (existing[0] as T) : this.createResource(resource);
  }

  /** A transaction of conditional creates (POST with ifNoneExist): 201 with the new resource, or 200 with the match. */
  async executeBatch(bundle: Bundle): Promise<Bundle> {
    this.log.push(`${bundle.type} ${bundle.entry?.length ?? 0} entries`);
    const entry: BundleEntry[] = [];
    for (const { request, resource } of bundle.entry ?? []) {
      if (request?.method !== 'POST' || !resource) {
        throw new Error('FakeMedplum: executeBatch supports only POST entries');
      }
      const existing = request.ifNoneExist ? this.search(resource.resourceType, request.ifNoneExist) : [];
      entry.push(
        existing.length
          ? { response: { status: '200 OK' }, resource: existing[0] }
          : { response: { status: '201 Created' }, resource: await this.createResource(resource) }
      );
    }
    return { resourceType: 'Bundle', type: `${bundle.type}-response` as Bundle['type'], entry };
  }

  /** Runs queued with `$execute` (`Prefer: respond-async`): answered 202-style, run only when a test runs them. */
  readonly queued: { bot: string; input: Resource }[] = [];

  /** Only queued runs (Prefer: respond-async): the OperationOutcome naming an AsyncJob, as the server answers. */
  async executeBot(
    id: string,
    body: Resource,
    _contentType?: string,
    options?: MedplumRequestOptions
  ): Promise<unknown> {
    const headers = (options?.headers ?? {}) as Record<string, string>;
    if (headers.Prefer !== 'respond-async') {
      throw new Error('FakeMedplum: executeBot supports only queued runs (Prefer: respond-async)');
    }
    this.queued.push({ bot: id, input: structuredClone(body) });
    this.log.push(`execute Bot/${id} async`);
    return accepted(`https://fake.example/fhir/R4/job/queued-${this.queued.length}/status`);
  }

  async updateResource<T extends Resource>(resource: T, options?: MedplumRequestOptions): Promise<T> {
    const key = `${resource.resourceType}/${resource.id}`;
    const current = this.resources.get(key);
    const headers = (options?.headers ?? {}) as Record<string, string>;
    const ifMatch = /"([^"]+)"/.exec(headers['If-Match'] ?? '')?.[1];
    if (!current || (ifMatch && current.meta?.versionId !== ifMatch)) {
      throw new OperationOutcomeError(preconditionFailed);
    }
    const version = String(Number(current.meta?.versionId ?? '0') + 1);
    const updated = { ...resource, meta: { ...resource.meta, versionId: version, lastUpdated: this.tick() } };
    this.resources.set(key, updated);
    this.log.push(`update ${key} v${version}`);
    return structuredClone(updated);
  }

  private search(resourceType: string, query: QueryTypes): Resource[] {
    let results = [...this.resources.values()].filter((r) => r.resourceType === resourceType);
    let count: number | undefined;
    let sort: string | undefined;
    let elements: string[] | undefined;
    for (const [name, value] of params(query)) {
      if (name === '_count') {
        count = Number(value);
      } else if (name === '_total') {
        continue; // the fake gives no totals
      } else if (name === '_elements') {
        elements = value.split(',');
      } else if (name === '_sort') {
        sort = value;
      } else {
        results = results.filter((r) => matches(r, name, value));
      }
    }
    if (sort === 'date' || sort === '-date') {
      const sign = sort === 'date' ? 1 : -1;
      results.sort((a, b) => sign * (effective(a) - effective(b)));
    } else if (sort) {
      throw new Error(`FakeMedplum: unsupported _sort ${sort}`);
    }
    const found = structuredClone(results.slice(0, count));
    return elements ? found.map((r) => subset(r, elements)) : found;
  }
}

/** `_elements`: the listed top-level elements plus id and meta, tagged SUBSETTED (as the server answers). */
function subset(resource: Resource, elements: string[]): Resource {
  const kept = Object.fromEntries(
    Object.entries(resource).filter(([name]) => ['resourceType', 'id', 'meta', ...elements].includes(name))
  ) as Resource;
  return { ...kept, meta: { ...kept.meta, tag: [...(kept.meta?.tag ?? []), { code: 'SUBSETTED' }] } };
}

function params(query: QueryTypes): [string, string][] {
  if (query === undefined) {
    return [];
  }
  if (typeof query === 'string' || query instanceof URLSearchParams) {
    return [...new URLSearchParams(query).entries()];
  }
  if (Array.isArray(query)) {
    return query.map(([name, value]) => [name, value]);
  }
  return Object.entries(query)
    .filter(([, v]) => v !== undefined)
    .map(([name, value]) => [name, String(value)]);
}

type Loose = Record<string, unknown> & {
  identifier?: { system?: string; value?: string }[];
  code?: { coding?: { system?: string; code?: string }[] };
  subject?: { reference?: string };
  patient?: { reference?: string };
  effectiveDateTime?: string;
};

function effective(resource: Resource): number {
  return Date.parse((resource as unknown as Loose).effectiveDateTime ?? '') || 0;
}

function matches(resource: Resource, name: string, value: string): boolean {
  const r = resource as unknown as Loose;
  const anyOf = value.split(',');
  switch (name) {
    case '_id':
      return anyOf.includes(resource.id ?? '');
    case 'identifier':
      return (r.identifier ?? []).some((i) => anyOf.includes(`${i.system}|${i.value}`));
    case 'status':
      return anyOf.includes(String(r.status));
    case 'lifecycle-status':
      return anyOf.includes(String(r.lifecycleStatus));
    case 'url':
      return r.url === value;
    case 'subject':
      return anyOf.includes(r.subject?.reference ?? '');
    case 'patient':
      return anyOf.includes((r.patient ?? r.subject)?.reference ?? '');
    case 'code':
      return (r.code?.coding ?? []).some(
        (c) => anyOf.includes(`${c.system}|${c.code}`) || anyOf.includes(c.code ?? '')
      );
    case 'date': {
      const prefix = value.slice(0, 2);
      const bound = Date.parse(value.slice(2));
      const time = effective(resource);
      const ok = { ge: time >= bound, le: time <= bound, gt: time > bound, lt: time < bound }[prefix];
      if (ok === undefined || Number.isNaN(bound)) {
        throw new Error(`FakeMedplum: unsupported date ${value}`);
      }
      return ok;
    }
    default:
      throw new Error(`FakeMedplum: unsupported search parameter ${name}`);
  }
}
