// Public API of FHIR search: index rows written with each resource version, and searches answered from them.
export type { Queryable, SearchContext, SearchIndexRows } from './types.ts';
export { buildSearchIndexRows } from './indexRows.ts';
export {
  addSearchIndexDeletes,
  addSearchIndexInserts,
  deleteSearchIndexRows,
  insertSearchIndexRows,
} from './writeRows.ts';
export { parseSearchQuery } from './parseQuery.ts';
export { executeSearch } from './execute.ts';
export { executeLastN, MAX_LASTN_RESULTS } from './lastN.ts';
export { searchByReference } from './byReference.ts';
