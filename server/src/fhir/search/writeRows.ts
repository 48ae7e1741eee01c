// Writes and removes search-index rows: one multi-row INSERT per index table, all in a single statement.
import { StatementBatch } from '../../db/statementBatch.ts';
import { TABLE_NAMES, type IndexTable, type Queryable, type SearchIndexRows } from './types.ts';

interface TableWriter {
  table: IndexTable;
  /** INSERT ... SELECT FROM unnest(...) with $n placeholders starting at the given number. */
  sql(first: number): string;
  /** One array per column, in the order of sql(). */
  columns(rows: SearchIndexRows[]): unknown[][] | undefined;
}

function placeholders(first: number, types: string[]): string {
  return types.map((t, i) => `$${first + i}::${t}[]`).join(', ');
}

/**
 * Builds one writer from a fixed column list; `values` maps one row to its other column values.
 * With `compartment`, the resource's compartment key is written as a third key column.
 */
function writer<R>(
  table: IndexTable,
  tableName: string,
  columns: string[],
  types: string[],
  pick: (rows: SearchIndexRows) => R[],
  values: (row: R) => unknown[],
  compartment = false
): TableWriter {
  const keyColumns = compartment ? ['resource_type', 'resource_id', 'compartment'] : ['resource_type', 'resource_id'];
  const allColumns = [...keyColumns, ...columns];
  const allTypes = [...(compartment ? ['text', 'text', 'int8'] : ['text', 'text']), ...types];
  return {
    table,
    sql: (first) =>
      `INSERT INTO ${tableName} (${allColumns.join(', ')}) SELECT * FROM unnest(${placeholders(first, allTypes)})`,
    columns(all) {
      const arrays: unknown[][] = allColumns.map(() => []);
      let count = 0;
      for (const resourceRows of all) {
        for (const row of pick(resourceRows)) {
          arrays[0].push(resourceRows.resourceType);
          arrays[1].push(resourceRows.id);
          if (compartment) {
            arrays[2].push(resourceRows.compartment);
          }
          const rest = values(row);
          for (let i = 0; i < rest.length; i++) {
            arrays[i + keyColumns.length].push(rest[i]);
          }
          count++;
        }
      }
      return count > 0 ? arrays : undefined;
    },
  };
}

const WRITERS: TableWriter[] = [
  writer(
    'token',
    'search_token',
    ['param', 'grp', 'system', 'value', 'text'],
    ['text', 'int2', 'text', 'text', 'text'],
    (r) => r.token,
    (t) => [t.param, t.grp, t.system, t.value, t.text],
    true
  ),
  writer(
    'string',
    'search_string',
    ['param', 'grp', 'norm', 'exact'],
    ['text', 'int2', 'text', 'text'],
    (r) => r.string,
    (s) => [s.param, s.grp, s.norm, s.exact]
  ),
  writer(
    'reference',
    'search_reference',
    ['param', 'grp', 'ref'],
    ['text', 'int2', 'text'],
    (r) => r.reference,
    (x) => [x.param, x.grp, x.ref]
  ),
  writer(
    'date',
    'search_date',
    ['param', 'grp', 'low', 'high'],
    ['text', 'int2', 'timestamptz', 'timestamptz'],
    (r) => r.date,
    (d) => [d.param, d.grp, d.low, d.high],
    true
  ),
  writer(
    'number',
    'search_number',
    ['param', 'grp', 'low', 'high'],
    ['text', 'int2', 'numeric', 'numeric'],
    (r) => r.number,
    (n) => [n.param, n.grp, n.low, n.high]
  ),
  writer(
    'quantity',
    'search_quantity',
    ['param', 'grp', 'low', 'high', 'system', 'unit_code', 'unit'],
    ['text', 'int2', 'numeric', 'numeric', 'text', 'text', 'text'],
    (r) => r.quantity,
    (q) => [q.param, q.grp, q.low, q.high, q.system, q.unitCode, q.unit]
  ),
  writer(
    'uri',
    'search_uri',
    ['param', 'value'],
    ['text', 'text'],
    (r) => r.uri,
    (u) => [u.param, u.value]
  ),
];

/** Adds the rows of many resources to a batch: one multi-row INSERT ... SELECT FROM unnest(...) per index table. */
export function addSearchIndexInserts(batch: StatementBatch, rows: SearchIndexRows[]): void {
  for (const w of WRITERS) {
    const columns = w.columns(rows);
    if (columns) {
      batch.add(w.sql, columns);
    }
  }
}

/**
 * Writes the rows of many resources: one multi-row INSERT per index table, sent as a single statement
 * (data-modifying CTEs), so a batch of any size costs one round trip.
 */
export async function insertSearchIndexRows(db: Queryable, rows: SearchIndexRows[]): Promise<void> {
  const batch = new StatementBatch();
  addSearchIndexInserts(batch, rows);
  await batch.run(db);
}

/** Adds the removal of all index rows of these resources (before re-indexing an update, or on delete) to a batch. */
export function addSearchIndexDeletes(batch: StatementBatch, resourceType: string, ids: string[]): void {
  if (ids.length === 0) {
    return;
  }
  for (const w of WRITERS) {
    batch.add(
      (first) =>
        `DELETE FROM ${TABLE_NAMES[w.table]} WHERE resource_type = $${first} AND resource_id = ANY($${first + 1}::text[])`,
      [resourceType, ids]
    );
  }
}

/** Removes all index rows of these resources; one statement. */
export async function deleteSearchIndexRows(db: Queryable, resourceType: string, ids: string[]): Promise<void> {
  const batch = new StatementBatch();
  addSearchIndexDeletes(batch, resourceType, ids);
  await batch.run(db);
}
