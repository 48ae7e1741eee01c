// The FhirRepository on PostgreSQL: every FHIR read and write, each write atomic with its history and search indexes.
import {
  applyPatch,
  badRequest,
  deepClone,
  fhirpathPatchTypedValue,
  formatSearchQuery,
  gone,
  isResourceType,
  notFound,
  OperationOutcomeError,
  parseFhirPathPatchParameters,
  preconditionFailed,
  toTypedValue,
  type Operation,
  type SearchRequest,
  type WithId,
} from '@medplum/core';
import {
  FhirRepository,
  type CreateResourceOptions,
  type DeleteResourceOptions,
  type ReadHistoryOptions,
  type RepositoryMode,
  type SearchOptions,
  type TransactionOptions,
  type UpdateResourceOptions,
} from '@medplum/fhir-router';
import type { Bundle, OperationOutcome, Parameters, Reference, Resource } from '@medplum/fhirtypes';
import { accessPolicyFor, type AccessPolicy } from '../../access/accessPolicy.ts';
import type { Caller } from '../../auth/authenticate.ts';
import type { Interaction } from '../../auth/smartScopes.ts';
import type { Db, DbClient, Queryable } from '../../db/pool.ts';
import { validateResourceForWrite } from '../conformance/validateResource.ts';
import { StatementBatch } from '../../db/statementBatch.ts';
import {
  addSearchIndexDeletes,
  addSearchIndexInserts,
  buildSearchIndexRows,
  executeLastN,
  executeSearch,
  searchByReference,
  type SearchIndexRows,
} from '../search/index.ts';
import { writeTriggersOf } from '../../subscriptions/writeTriggers.ts';
import { prepareSubscription } from '../../subscriptions/validateSubscription.ts';
import { toOperationOutcomeError } from './databaseErrors.ts';
import { groupedCreatesOf } from './groupedCreates.ts';
import { timeOrderedId } from './timeOrderedId.ts';
import { assertNoUnresolvedReferences } from './unresolvedReferences.ts';
import { assertReferenceTargets, rememberResource, type KnownResources } from './referenceTargets.ts';
import { assertPlausibleReading } from '../../devices/readingPlausibility.ts';
import type { JobQueue, JobSpec } from '../../jobs/jobQueue.ts';
import { readHistoryBundle, DEFAULT_HISTORY_COUNT, MAX_HISTORY_COUNT, type HistoryQuery } from './history.ts';
import {
  parseStored,
  selectCurrentRow,
  selectCurrentRows,
  selectVersionRow,
  addResourceVersionWrites,
  type ResourceVersionRow,
  type StoredResource,
} from './resourceRows.ts';

/** What a repository needs to know about the request it serves. */
export interface RepositoryContext {
  /** Absolute FHIR base URL, e.g. http://localhost:8103/fhir/R4 (for fullUrl and paging links). */
  fhirBaseUrl: string;
  /** `Prefer: handling=strict`: unknown search parameters are errors instead of being ignored. */
  strictSearch?: boolean;
  /** Who is asking; absent for the server's own work (start-up loading, seeding). */
  caller?: Caller;
}

/** A version waiting to be written when the transaction flushes. */
interface PendingVersion {
  row: ResourceVersionRow;
  /** The stamped resource (what Subscriptions and bots are given). */
  resource: WithId<Resource>;
  index?: SearchIndexRows;
  replacesExisting: boolean;
}

/** What every repository on one database transaction shares. */
interface TransactionState {
  pending: PendingVersion[];
  afterCommit: (() => void)[];
  /** What the write triggers read together with BEGIN (the Subscriptions' generation). */
  begun?: { generation?: string };
  /** Resources this transaction wrote or read: references to them need no existence query (referenceTargets.ts). */
  known: KnownResources;
}

const ID_PATTERN = /^[A-Za-z0-9\-.]{1,64}$/;

export class PostgresRepository extends FhirRepository {
  readonly pool: Db;
  readonly context: RepositoryContext;
  /** Set when this repository runs inside a database transaction. */
  private readonly client: DbClient | undefined;
  /**
   * Inside a transaction: creates buffered to be written in bulk before the next read and at commit, and what to do
   * once it has committed (websocket notifications of its writes). Shared by every repository on the transaction.
   */
  private readonly transaction: TransactionState;
  /** Who may see and change what (server/src/access); one per request, shared with its transaction. */
  readonly policy: AccessPolicy;

  constructor(pool: Db, context: RepositoryContext, client?: DbClient, transaction?: TransactionState) {
    super();
    this.pool = pool;
    this.transaction = transaction ?? { pending: [], afterCommit: [], known: new Map() };
    this.context = context;
    this.client = client;
    this.policy = accessPolicyFor(context);
    const target: Queryable = client ?? pool;
    this.queryable = {
      query: (text, values) =>
        target.query(text, values).catch((err: unknown) => {
          throw toOperationOutcomeError(err);
        }),
    };
  }

  /**
   * The server itself, in this repository's transaction: for work done on a caller's behalf once the caller's own
   * access has been checked (e.g. the email and SMS of an escalation, which only the server may have sent).
   */
  asServer(): PostgresRepository {
    return new PostgresRepository(this.pool, { ...this.context, caller: undefined }, this.client, this.transaction);
  }

  /** One primary database for now; read replicas would be chosen here. */
  setMode(_mode: RepositoryMode): void {}

  /** Time-ordered, so that new rows and index entries are appended rather than scattered. */
  generateId(): string {
    return timeOrderedId();
  }

  /** Every query goes through here, so database failures reach clients as OperationOutcomes (409, 400, 503, 500). */
  private readonly queryable: Queryable;

  private get db(): Queryable {
    return this.queryable;
  }

  /**
   * The type-level access check every read and write passes through first (403 when no scope, or the caller's role,
   * allows the interaction on the type); the policy then checks each resource and restricts each search.
   */
  assertMay(resourceType: string, interaction: Interaction): void {
    this.policy.assertType(resourceType, interaction);
  }

  // ---------------------------------------------------------------- writes

  async createResource<T extends Resource>(resource: T, options?: CreateResourceOptions): Promise<WithId<T>> {
    this.assertMay(resource.resourceType, 'create');
    const id = options?.assignedId && resource.id ? resource.id : this.generateId();
    const version = this.prepareVersion({ ...resource, id }, 'create');
    await this.policy.assertAfter(this.db, undefined, version.row.content, 'create');
    if (this.client || !(await this.createInOneStatement(version))) {
      await this.writeVersions([version]);
    }
    return JSON.parse(version.row.content) as WithId<T>;
  }

  async updateResource<T extends Resource>(resource: T, options?: UpdateResourceOptions): Promise<WithId<T>> {
    return (await this.upsertResource(resource, options)).resource;
  }

  /** Update, or create with the client's id when none exists (FHIR R4 http.html#upsert); says which happened. */
  async upsertResource<T extends Resource>(
    resource: T,
    options?: UpdateResourceOptions
  ): Promise<{ resource: WithId<T>; created: boolean }> {
    const id = resource.id;
    if (!id) {
      throw new OperationOutcomeError(badRequest('Missing id', `${resource.resourceType}.id`));
    }
    assertValidId(id);
    this.assertMay(resource.resourceType, 'update');
    return this.withTransaction(
      async (tx) => {
        await tx.flush();
        const current = await selectCurrentRow(tx.db, resource.resourceType, id, true);
        if (!current) {
          this.assertMay(resource.resourceType, 'create');
        } else {
          await tx.policy.assertBefore(tx.db, current.content, 'update');
        }
        if (options?.ifMatch && (!current || current.versionId !== options.ifMatch)) {
          throw new OperationOutcomeError(preconditionFailed);
        }
        if (current && !current.deleted) {
          const existing = parseStored<WithId<T>>(current.content);
          if (isUnchanged(existing, resource)) {
            return { resource: existing, created: false };
          }
        }
        const version = tx.prepareVersion(resource as WithId<Resource>, current ? 'update' : 'create');
        await tx.policy.assertAfter(tx.db, current?.content, version.row.content, current ? 'update' : 'create');
        version.replacesExisting = current !== undefined;
        await tx.writeVersions([version]);
        return { resource: JSON.parse(version.row.content) as WithId<T>, created: current === undefined };
      },
      { resourceTypes: [resource.resourceType] as TransactionOptions['resourceTypes'] }
    );
  }

  async deleteResource(resourceType: string, id: string, options?: DeleteResourceOptions): Promise<void> {
    assertResourceType(resourceType);
    this.assertMay(resourceType, 'delete');
    await this.withTransaction(
      async (tx) => {
        await tx.flush();
        const current = await selectCurrentRow(tx.db, resourceType, id, true);
        if (!current) {
          throw new OperationOutcomeError(notFound);
        }
        await tx.policy.assertBefore(tx.db, current.content, 'delete');
        if (options?.ifMatch && current.versionId !== options.ifMatch) {
          throw new OperationOutcomeError(preconditionFailed);
        }
        if (current.deleted) {
          return; // Deleting a deleted resource succeeds without a new version.
        }
        const versionId = timeOrderedId();
        const batch = new StatementBatch();
        addResourceVersionWrites(batch, [
          {
            resourceType,
            id,
            versionId,
            lastUpdated: new Date().toISOString(),
            deleted: true,
            operation: 'delete',
            content: current.content,
          },
        ]);
        addSearchIndexDeletes(batch, resourceType, [id]);
        tx.transaction.known.delete(`${resourceType}/${id}`);
        const last = parseStored<WithId<Resource>>(current.content);
        await tx.triggerWork(
          [{ resource: { ...last, meta: { ...last.meta, versionId } }, interaction: 'delete' }],
          batch
        );
        await batch.run(tx.db);
      },
      { resourceTypes: [resourceType] as TransactionOptions['resourceTypes'] }
    );
  }

  async patchResource<T extends Resource>(
    resourceType: T['resourceType'],
    id: string,
    patch: Operation[] | Parameters,
    options?: UpdateResourceOptions
  ): Promise<WithId<T>> {
    this.assertMay(resourceType, 'update');
    return this.withTransaction(
      async (tx) => {
        const current = await tx.readResource<T>(resourceType, id);
        if (options?.ifMatch && current.meta?.versionId !== options.ifMatch) {
          throw new OperationOutcomeError(preconditionFailed);
        }
        const patched = applyResourcePatch(deepClone(current), patch);
        if (patched.resourceType !== resourceType || patched.id !== id) {
          throw new OperationOutcomeError(badRequest('A patch may not change resourceType or id'));
        }
        return tx.updateResource(patched, { ifMatch: current.meta?.versionId });
      },
      { resourceTypes: [resourceType] as TransactionOptions['resourceTypes'] }
    );
  }

  /** Stamps id, version and time on a resource, validates it, and computes its rows. */
  private prepareVersion(resource: WithId<Resource>, operation: 'create' | 'update'): PendingVersion {
    assertResourceType(resource.resourceType);
    assertValidId(resource.id);
    const accepted =
      resource.resourceType === 'Subscription' ? prepareSubscription(resource, this.context.caller) : resource;
    const meta = { ...accepted.meta, versionId: timeOrderedId(), lastUpdated: new Date().toISOString() };
    const stamped = { ...accepted, meta } as WithId<Resource>;
    validateResourceForWrite(stamped);
    assertNoUnresolvedReferences(stamped);
    assertPlausibleReading(stamped);
    return {
      row: {
        resourceType: stamped.resourceType,
        id: stamped.id,
        versionId: meta.versionId,
        lastUpdated: meta.lastUpdated,
        deleted: false,
        operation,
        content: JSON.stringify(stamped),
      },
      resource: stamped,
      index: buildSearchIndexRows(stamped),
      replacesExisting: false,
    };
  }

  /**
   * A create outside a transaction (a device's single reading) in ONE autocommitted statement, instead of BEGIN, the
   * reference check, the write and COMMIT, grouped with other callers' creates that arrive meanwhile
   * (groupedCreates.ts). False when a guard failed or no Subscriptions were loaded yet: then nothing was written, and
   * the caller takes the transactional path, which checks again, reloads the Subscriptions and explains a refusal.
   */
  private async createInOneStatement(version: PendingVersion): Promise<boolean> {
    const outcome = await groupedCreatesOf(this.pool).write({
      row: version.row,
      resource: version.resource,
      index: version.index,
      caller: this.context.caller,
    });
    return outcome === 'written';
  }

  /** Inside a transaction creates wait in a buffer (bulk-written later); elsewhere they commit now. */
  private async writeVersions(versions: PendingVersion[]): Promise<void> {
    if (this.client) {
      this.transaction.pending.push(...versions);
      if (versions.some((v) => v.replacesExisting) || this.transaction.pending.length >= 500) {
        await this.flush();
      }
      return;
    }
    await this.withTransaction(async (tx) => tx.writeVersions(versions), { resourceTypes: [] });
  }

  /** Writes every buffered version in one statement, then queues the work the versions trigger. */
  async flush(): Promise<void> {
    if (this.transaction.pending.length === 0) {
      return;
    }
    const batch = this.transaction.pending.splice(0);
    try {
      // Targets of literal references exist (one query at most), and readings come from their patient's devices.
      for (const v of batch) {
        rememberResource(this.transaction.known, v.resource);
      }
      await assertReferenceTargets(
        this.db,
        batch.map((v) => v.resource),
        this.transaction.known,
        { hideOtherPatient: this.policy.perResource }
      );
      // Current rows, history, removal of replaced index rows, the new index rows and the jobs the versions trigger:
      // one round trip.
      const statements = new StatementBatch();
      addResourceVersionWrites(
        statements,
        batch.map((v) => v.row)
      );
      const replaced = new Map<string, string[]>();
      for (const v of batch) {
        if (v.replacesExisting) {
          replaced.set(v.row.resourceType, [...(replaced.get(v.row.resourceType) ?? []), v.row.id]);
        }
      }
      for (const [resourceType, ids] of replaced) {
        addSearchIndexDeletes(statements, resourceType, ids);
      }
      addSearchIndexInserts(
        statements,
        batch.flatMap((v) => (v.index ? [v.index] : []))
      );
      await this.triggerWork(
        batch.map((v) => ({ resource: v.resource, interaction: v.row.operation })),
        statements
      );
      await statements.run(this.db);
    } catch (err) {
      throw toOperationOutcomeError(err);
    }
  }

  /**
   * Subscriptions, bots and notifications: the jobs these versions trigger are queued in this same transaction, so a
   * committed write never misses its alert and a rolled-back one never has one (server/src/subscriptions).
   */
  private async triggerWork(
    written: { resource: Resource; interaction: 'create' | 'update' | 'delete' }[],
    batch: StatementBatch
  ): Promise<void> {
    const after = await writeTriggersOf(this.pool)?.onWrite(
      this.db,
      written,
      this.context.caller,
      this.transaction.begun,
      batch
    );
    if (after) {
      this.transaction.afterCommit.push(after);
    }
  }

  // ---------------------------------------------------------------- reads

  async readResource<T extends Resource>(resourceType: string, id: string): Promise<WithId<T>> {
    assertResourceType(resourceType);
    this.assertMay(resourceType, 'read');
    await this.flush();
    if (!ID_PATTERN.test(id)) {
      throw new OperationOutcomeError(notFound);
    }
    const row = await selectCurrentRow(this.db, resourceType, id);
    if (!row || !(await this.policy.mayRead(this.db, row.content))) {
      throw new OperationOutcomeError(notFound); // Out of reach looks like a missing id.
    }
    if (row.deleted) {
      throw new OperationOutcomeError(gone);
    }
    const resource = parseStored<WithId<T>>(row.content);
    this.remember([resource]);
    return resource;
  }

  /** Inside a transaction, resources read exist for the reference checks of its later writes. */
  private remember(resources: (Resource | undefined)[]): void {
    if (this.client) {
      for (const resource of resources) {
        if (resource) {
          rememberResource(this.transaction.known, resource);
        }
      }
    }
  }

  /** The current version's stored JSON text, so a read can be answered without parsing and re-serialising. */
  async readResourceText(resourceType: string, id: string): Promise<StoredResource> {
    assertResourceType(resourceType);
    this.assertMay(resourceType, 'read');
    await this.flush();
    const row = ID_PATTERN.test(id) ? await selectCurrentRow(this.db, resourceType, id) : undefined;
    if (!row || !(await this.policy.mayRead(this.db, row.content))) {
      throw new OperationOutcomeError(notFound);
    }
    if (row.deleted) {
      throw new OperationOutcomeError(gone);
    }
    return row;
  }

  async readReference<T extends Resource>(reference: Reference<T>): Promise<WithId<T>> {
    const [resourceType, id] = splitReference(reference.reference);
    return this.readResource<T>(resourceType, id);
  }

  async readReferences<T extends Resource>(references: readonly Reference<T>[]): Promise<(T | Error)[]> {
    await this.flush();
    const keys = references.map((ref) => {
      try {
        const [resourceType, id] = splitReference(ref.reference);
        return { resourceType, id };
      } catch {
        return undefined;
      }
    });
    const rows = await selectCurrentRows(
      this.db,
      keys.filter((k): k is { resourceType: string; id: string } => k !== undefined)
    );
    const results: (T | Error)[] = [];
    for (const key of keys) {
      if (!key) {
        results.push(new OperationOutcomeError(badRequest('Invalid reference')));
        continue;
      }
      try {
        this.assertMay(key.resourceType, 'read');
      } catch (err) {
        results.push(err as Error);
        continue;
      }
      const row = rows.get(`${key.resourceType}/${key.id}`);
      if (!row || !(await this.policy.mayRead(this.db, row.content))) {
        results.push(new OperationOutcomeError(notFound));
      } else if (row.deleted) {
        results.push(new OperationOutcomeError(gone));
      } else {
        results.push(parseStored<T>(row.content));
      }
    }
    return results;
  }

  async readHistory<T extends Resource>(
    resourceType: string,
    id: string,
    options?: ReadHistoryOptions
  ): Promise<Bundle<WithId<T>>> {
    assertResourceType(resourceType);
    this.assertMay(resourceType, 'read');
    await this.flush();
    const current = ID_PATTERN.test(id) ? await selectCurrentRow(this.db, resourceType, id) : undefined;
    if (!current || !(await this.policy.mayRead(this.db, current.content))) {
      throw new OperationOutcomeError(notFound);
    }
    const count = options?.limit ?? DEFAULT_HISTORY_COUNT;
    const offset = options?.offset ?? 0;
    if (!Number.isInteger(count) || count < 0 || count > MAX_HISTORY_COUNT || !Number.isInteger(offset) || offset < 0) {
      throw new OperationOutcomeError(badRequest(`_count must be 0 to ${MAX_HISTORY_COUNT} and _offset >= 0`));
    }
    const bundle = await readHistoryBundle(this.db, { resourceType, id, count, offset }, this.context.fhirBaseUrl);
    return (await this.policy.filterHistory(this.db, bundle, 'read')) as Bundle<WithId<T>>;
  }

  /** Type- or system-level history (instance history is readHistory). */
  async readHistoryOf(query: HistoryQuery): Promise<Bundle> {
    this.assertMay(query.resourceType ?? '*', 'search');
    await this.flush();
    const filter = await this.policy.historyFilter(this.db, query.resourceType);
    const bundle = await readHistoryBundle(this.db, query, this.context.fhirBaseUrl, filter);
    return this.policy.filterHistory(this.db, bundle, 'search');
  }

  async readVersion<T extends Resource>(resourceType: string, id: string, versionId: string): Promise<WithId<T>> {
    assertResourceType(resourceType);
    this.assertMay(resourceType, 'read');
    await this.flush();
    if (!ID_PATTERN.test(id) || !ID_PATTERN.test(versionId)) {
      throw new OperationOutcomeError(notFound);
    }
    const row = await selectVersionRow(this.db, resourceType, id, versionId);
    if (!row || !(await this.policy.mayRead(this.db, row.content)) || !(await this.currentReadable(resourceType, id))) {
      throw new OperationOutcomeError(notFound);
    }
    if (row.deleted) {
      throw new OperationOutcomeError(gone);
    }
    return parseStored<WithId<T>>(row.content);
  }

  /** For per-resource callers, a version is visible only while its resource (current version) is too. */
  private async currentReadable(resourceType: string, id: string): Promise<boolean> {
    if (!this.policy.perResource) {
      return true;
    }
    const current = await selectCurrentRow(this.db, resourceType, id);
    return current !== undefined && (await this.policy.mayRead(this.db, current.content));
  }

  async search<T extends Resource>(
    searchRequest: SearchRequest<T>,
    _options?: SearchOptions
  ): Promise<Bundle<WithId<T>>> {
    assertSearchTypes(searchRequest);
    for (const type of searchRequest.types ?? [searchRequest.resourceType]) {
      this.assertMay(type, 'search');
    }
    await this.flush();
    const bundle = (await executeSearch(this, this.db, searchRequest, {
      fhirBaseUrl: this.context.fhirBaseUrl,
      strict: this.context.strictSearch ?? false,
      restriction: await this.policy.searchRestriction(this.db),
    })) as Bundle<WithId<T>>;
    this.remember((bundle.entry ?? []).map((e) => e.resource));
    return bundle;
  }

  /** Observation $lastn (search/lastN.ts): the newest `max` matches per subject and code, under the caller's access. */
  async lastN(searchRequest: SearchRequest, max: number): Promise<Bundle<WithId<Resource>>> {
    assertSearchTypes(searchRequest);
    this.assertMay(searchRequest.resourceType, 'search');
    await this.flush();
    return executeLastN(this.db, searchRequest, max, {
      fhirBaseUrl: this.context.fhirBaseUrl,
      strict: this.context.strictSearch ?? false,
      restriction: await this.policy.searchRestriction(this.db),
    });
  }

  async searchByReference<T extends Resource>(
    searchRequest: SearchRequest<T>,
    referenceField: string,
    references: string[]
  ): Promise<Record<string, WithId<T>[]>> {
    assertSearchTypes(searchRequest);
    this.assertMay(searchRequest.resourceType, 'search');
    await this.flush();
    const restriction = await this.policy.searchRestriction(this.db);
    return (await searchByReference(this.db, searchRequest, referenceField, references, restriction)) as Record<
      string,
      WithId<T>[]
    >;
  }

  // ---------------------------------------------------------------- conditional writes

  /** Conditional create, serialised per search so two gateways posting the same reading create it once. */
  async conditionalCreate<T extends Resource>(
    resource: T,
    search: SearchRequest<T>,
    options?: CreateResourceOptions
  ): Promise<{ resource: WithId<T>; outcome: OperationOutcome }> {
    return this.withTransaction(
      async (tx) => {
        await tx.lockSearch(search);
        const result = await FhirRepository.prototype.conditionalCreate.call(
          tx,
          resource as Resource,
          search as SearchRequest,
          options
        );
        return result as { resource: WithId<T>; outcome: OperationOutcome };
      },
      { resourceTypes: [search.resourceType] as TransactionOptions['resourceTypes'] }
    );
  }

  async conditionalUpdate<T extends Resource>(
    resource: T,
    search: SearchRequest,
    options?: CreateResourceOptions & UpdateResourceOptions
  ): Promise<{ resource: WithId<T>; outcome: OperationOutcome }> {
    return this.withTransaction(
      async (tx) => {
        await tx.lockSearch(search);
        const result = await FhirRepository.prototype.conditionalUpdate.call(tx, resource as Resource, search, options);
        return result as { resource: WithId<T>; outcome: OperationOutcome };
      },
      { resourceTypes: [search.resourceType] as TransactionOptions['resourceTypes'] }
    );
  }

  /**
   * Holds a transaction-scoped lock named by the search, so concurrent conditional writes with the same
   * criteria run one after the other and the second sees the first's result.
   */
  async lockSearch(search: SearchRequest): Promise<void> {
    if (!this.client) {
      throw new Error('lockSearch needs a transaction');
    }
    await this.flush();
    const key = `${search.resourceType}${formatSearchQuery({ ...search, count: undefined, sortRules: undefined })}`;
    await this.client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [key]);
  }

  /** Queues jobs in this repository's transaction, so they are added if and only if its writes commit. */
  async addJobs(queue: JobQueue, jobs: readonly JobSpec[]): Promise<void> {
    if (!this.client) {
      throw new Error('addJobs needs a transaction');
    }
    await queue.enqueue(this.client, jobs);
  }

  // ---------------------------------------------------------------- transactions

  /** Runs callback in one database transaction; nested calls join the outer transaction. */
  async withTransaction<TResult>(
    callback: (txRepo: this) => Promise<TResult>,
    _options?: TransactionOptions
  ): Promise<TResult> {
    if (this.client) {
      return callback(this);
    }
    const client = await this.pool.connect().catch((err: unknown) => {
      throw toOperationOutcomeError(err);
    });
    const tx = new PostgresRepository(this.pool, this.context, client) as this;
    try {
      tx.transaction.begun = await begin(client, writeTriggersOf(this.pool)?.readAtBegin);
      const result = await callback(tx);
      await tx.flush();
      await client.query('COMMIT');
      for (const after of tx.transaction.afterCommit.splice(0)) {
        after();
      }
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw toOperationOutcomeError(err);
    } finally {
      client.release();
    }
  }
}

/** BEGIN, with the write triggers' read in the same round trip (a constant query, so the simple protocol is safe). */
async function begin(client: DbClient, readAtBegin: string | undefined): Promise<{ generation?: string } | undefined> {
  if (!readAtBegin) {
    await client.query('BEGIN');
    return undefined;
  }
  const results = (await client.query(`BEGIN; ${readAtBegin}`)) as unknown as { rows: { generation?: string }[] }[];
  return results[1]?.rows[0];
}

function assertResourceType(resourceType: string): void {
  if (!isResourceType(resourceType)) {
    throw new OperationOutcomeError(badRequest(`Unknown resource type: ${String(resourceType).slice(0, 100)}`));
  }
}

function assertSearchTypes(search: SearchRequest): void {
  if ((search.resourceType as string) !== 'MultipleTypes' || !search.types) {
    assertResourceType(search.resourceType);
  }
  for (const type of search.types ?? []) {
    assertResourceType(type);
  }
}

function assertValidId(id: string): void {
  if (!ID_PATTERN.test(id)) {
    throw new OperationOutcomeError(badRequest('Invalid id: 1 to 64 letters, digits, "-" or "."', 'Resource.id'));
  }
}

function splitReference(reference: string | undefined): [string, string] {
  const parts = reference?.split('/') ?? [];
  if (parts.length !== 2 || !parts[0] || !parts[1]) {
    throw new OperationOutcomeError(badRequest(`Invalid reference: ${String(reference).slice(0, 200)}`));
  }
  return [parts[0], parts[1]];
}

/** True when an update would change nothing but meta.versionId/lastUpdated. */
function isUnchanged(existing: Resource, incoming: Resource): boolean {
  const strip = (r: Resource): string => {
    const { meta, ...rest } = r;
    const { versionId: _v, lastUpdated: _l, ...otherMeta } = meta ?? {};
    return JSON.stringify({ ...rest, meta: otherMeta });
  };
  return strip(existing) === strip(incoming);
}

/** Applies a JSON Patch (RFC 6902) array or a FHIRPath Patch Parameters resource. */
function applyResourcePatch<T extends Resource>(resource: T, patch: Operation[] | Parameters): T {
  if (Array.isArray(patch)) {
    const errors = applyPatch(resource, patch).filter((e) => e !== null);
    if (errors.length > 0) {
      throw new OperationOutcomeError(badRequest(`Patch failed: ${errors.map((e) => e?.message).join('; ')}`));
    }
    return resource;
  }
  try {
    fhirpathPatchTypedValue(toTypedValue(resource), parseFhirPathPatchParameters(patch));
  } catch (err) {
    if (err instanceof OperationOutcomeError) {
      throw err;
    }
    throw new OperationOutcomeError(badRequest(`FHIRPath Patch failed: ${(err as Error).message}`));
  }
  return resource;
}
