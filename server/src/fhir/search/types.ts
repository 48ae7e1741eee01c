// Shared types of the search module: index rows, the database handle it needs, and the search context.
import type { Resource } from '@medplum/fhirtypes';
import type { NamedStatement } from '../../db/pool.ts';
import type { Condition } from './rowConditions.ts';

/** Anything with pg's query(): a Pool or a PoolClient inside a transaction. */
export interface Queryable {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the shape of pg's QueryResult.rows
  query(text: string | NamedStatement, values?: unknown[]): Promise<{ rows: any[]; rowCount: number | null }>;
}

/** How a search is answered: base URL for links and fullUrls, and the Prefer: handling mode. */
export interface SearchContext {
  /** e.g. http://localhost:8103/fhir/R4, for fullUrl and links. */
  fhirBaseUrl: string;
  /** Prefer: handling=strict → unknown or unsupported params give 400; lenient → ignored and left out of the self link. */
  strict: boolean;
  /** What the caller may see (server/src/access); absent: everything. */
  restriction?: SearchRestriction;
}

/** Access restriction of a search, set by the access policy for callers that do not see everything. */
export interface SearchRestriction {
  /**
   * The condition every resource of the type must also meet: ANDed into the statement for the matches (so paging
   * and totals stay right) and into the candidate sets of chained and _has parameters; undefined = none.
   * `compartmentPatient`: the Patient id the search's filters already confine every match to (see plan.ts), which
   * may make the restriction unnecessary.
   */
  conditionFor(resourceType: string, compartmentPatient?: string): Condition | undefined;
  /** Whether an _include/_revinclude result may be returned (and :iterate continue from it). */
  mayInclude(resource: Resource): boolean;
}

/** A token value: Coding, Identifier, ContactPoint, code, boolean, ... */
export interface TokenRow {
  param: string;
  grp: number;
  system: string | null;
  value: string | null;
  /** Normalised display text, for :text. */
  text: string | null;
}

export interface StringRow {
  param: string;
  grp: number;
  norm: string;
  /** The original value, only when it differs from norm. */
  exact: string | null;
}

export interface ReferenceRow {
  param: string;
  grp: number;
  ref: string;
}

/** An inclusive instant range as ISO strings (or 'infinity' / '-infinity'). */
export interface DateRow {
  param: string;
  grp: number;
  low: string;
  high: string;
}

/** Decimal strings (or 'Infinity' / '-Infinity' for open Range ends). */
export interface NumberRow {
  param: string;
  grp: number;
  low: string;
  high: string;
}

export interface QuantityRow {
  param: string;
  grp: number;
  low: string;
  high: string;
  system: string | null;
  unitCode: string | null;
  /** The human unit, only when it differs from unitCode. */
  unit: string | null;
}

export interface UriRow {
  param: string;
  value: string;
}

/** Every search-index row of one resource version. */
export interface SearchIndexRows {
  resourceType: string;
  id: string;
  /** compartmentKey() of the Patient the resource belongs to (token and date rows carry it), or null. */
  compartment: string | null;
  token: TokenRow[];
  string: StringRow[];
  reference: ReferenceRow[];
  date: DateRow[];
  number: NumberRow[];
  quantity: QuantityRow[];
  uri: UriRow[];
}

/** The index tables, by the kind of value they hold (a fixed whitelist: only these names ever reach SQL). */
export type IndexTable = 'token' | 'string' | 'reference' | 'date' | 'number' | 'quantity' | 'uri';

export const TABLE_NAMES: Record<IndexTable, string> = {
  token: 'search_token',
  string: 'search_string',
  reference: 'search_reference',
  date: 'search_date',
  number: 'search_number',
  quantity: 'search_quantity',
  uri: 'search_uri',
};
