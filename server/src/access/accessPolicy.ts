// The access policy of one request: the checks of server/src/access composed, as the repository's choke points call them.
import type { Bundle, CareTeam, Patient, Resource } from '@medplum/fhirtypes';
import type { Caller } from '../auth/authenticate.ts';
import { parseSmartScope, type Interaction } from '../auth/smartScopes.ts';
import type { Queryable } from '../db/pool.ts';
import type { Condition } from '../fhir/search/conditions.ts';
import type { SearchRestriction } from '../fhir/search/types.ts';
import { assertColleagues } from './careTeamWrites.ts';
import { loadCallerAccess, reachOf, withCreatedPatient, type CallerAccess } from './callerAccess.ts';
import { mayRead } from './checkRead.ts';
import { assertTypeGranted } from './checkType.ts';
import { assertWritableAfter, assertWritableBefore } from './checkWrite.ts';
import { isUserToken } from './grants.ts';
import { assertPatientMessageWrite } from './patientMessageWrites.ts';
import { historyFilter, type HistoryFilter } from './historyRestriction.ts';
import { restrictionFor } from './searchRestriction.ts';

export type { HistoryFilter } from './historyRestriction.ts';

/** Stored JSON text or a parsed resource. */
type Content = string | Resource;

const parse = (content: Content): Resource =>
  typeof content === 'string' ? (JSON.parse(content) as Resource) : content;

/**
 * One per request (shared by the repositories of its transaction). Without a caller (the server's own work) every
 * check passes. System tokens: type-level scope checks only, no query and no per-resource work. User tokens: the
 * reach is loaded once, on first need, through the database handle of that moment (the transaction's, inside one).
 */
export class AccessPolicy {
  readonly caller: Caller | undefined;
  readonly fhirBaseUrl: string;
  private loading: Promise<CallerAccess> | undefined;

  constructor(caller: Caller | undefined, fhirBaseUrl: string) {
    this.caller = caller;
    this.fhirBaseUrl = fhirBaseUrl;
  }

  /** True when resources must be checked one by one (user tokens). */
  get perResource(): boolean {
    return this.caller !== undefined && isUserToken(this.caller);
  }

  private load(db: Queryable): Promise<CallerAccess> {
    this.loading ??= loadCallerAccess(db, this.caller as Caller, this.fhirBaseUrl);
    return this.loading;
  }

  /** 403 unless some scope (and the role) allows the interaction on the type at all. */
  assertType(resourceType: string, interaction: Interaction): void {
    if (this.caller) {
      assertTypeGranted(this.caller, resourceType, interaction);
    }
  }

  /** Whether a resource found by id (read, vread, instance history, GraphQL reference) may be returned. */
  async mayRead(db: Queryable, content: Content, interaction: Interaction = 'read'): Promise<boolean> {
    if (!this.perResource) {
      return true; // The type check already passed.
    }
    return mayRead(await this.load(db), parse(content), interaction);
  }

  /** Before an update or delete: 404 when out of reach, 403 when visible but not writable. */
  async assertBefore(db: Queryable, before: Content, interaction: Interaction): Promise<void> {
    if (this.perResource) {
      assertWritableBefore(await this.load(db), parse(before), interaction);
    }
  }

  /** After a create or update: 403 when the new version would be out of the writable reach. */
  async assertAfter(
    db: Queryable,
    before: Content | undefined,
    after: Content,
    interaction: Interaction
  ): Promise<void> {
    if (!this.perResource) {
      return;
    }
    const access = await this.load(db);
    const resource = parse(after);
    assertWritableAfter(access, before === undefined ? undefined : parse(before), resource, interaction);
    await assertPatientMessageWrite(db, access, before === undefined ? undefined : parse(before), resource);
    if (resource.resourceType === 'CareTeam' && access.caller.role === 'clinician') {
      await assertColleagues(db, reachOf(access, 'user'), resource as CareTeam);
    }
    if (resource.resourceType === 'Patient' && before === undefined) {
      this.loading = Promise.resolve(withCreatedPatient(access, resource as Patient));
    }
  }

  /**
   * The restriction searches apply; undefined (no cost at all) without a caller or for a system token whose scopes
   * read and search every type.
   */
  async searchRestriction(db: Queryable): Promise<SearchRestriction | undefined> {
    if (!this.caller || (!this.perResource && this.typeWide())) {
      return undefined;
    }
    const access = await this.load(db);
    const conditions = new Map<string, Condition | undefined>();
    return {
      conditionFor: (resourceType, compartmentPatient) => {
        const key = `${resourceType}/${compartmentPatient ?? ''}`;
        if (!conditions.has(key)) {
          conditions.set(key, restrictionFor(access, resourceType, 'search', compartmentPatient));
        }
        return conditions.get(key);
      },
      mayInclude: (resource) => mayRead(access, resource, 'read'),
    };
  }

  /** The SQL filter of type (resourceType) or system (undefined) history; undefined when nothing is restricted. */
  async historyFilter(db: Queryable, resourceType: string | undefined): Promise<HistoryFilter | undefined> {
    if (!this.caller || (!this.perResource && this.typeWide())) {
      return undefined;
    }
    return historyFilter(await this.load(db), resourceType);
  }

  /** Drops the history entries whose version is out of reach (the version, not only the current resource, counts). */
  async filterHistory<T extends Bundle>(db: Queryable, bundle: T, interaction: Interaction): Promise<T> {
    if (!this.perResource || !bundle.entry) {
      return bundle;
    }
    const access = await this.load(db);
    bundle.entry = bundle.entry.filter((e) => !e.resource || mayRead(access, e.resource, interaction));
    return bundle;
  }

  /** A system token with a `system/*` scope that reads and searches (the benchmarks' `system/*.*`). */
  private typeWide(): boolean {
    return (this.caller?.scopes ?? []).some((value) => {
      const scope = parseSmartScope(value);
      return (
        scope?.context === 'system' &&
        scope.resourceType === '*' &&
        !scope.query &&
        scope.interactions.has('read') &&
        scope.interactions.has('search')
      );
    });
  }
}

const policies = new WeakMap<object, AccessPolicy>();

/** The policy of a request, keyed by its repository context (a transaction's repository shares its context). */
export function accessPolicyFor(context: { caller?: Caller; fhirBaseUrl: string }): AccessPolicy {
  let policy = policies.get(context);
  if (!policy) {
    policy = new AccessPolicy(context.caller, context.fhirBaseUrl);
    policies.set(context, policy);
  }
  return policy;
}
