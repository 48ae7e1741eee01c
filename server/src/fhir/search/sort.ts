// Compiles _sort rules into SQL sort keys (per-resource aggregates of index rows, or resource columns).
import type { SortRule } from '@medplum/core';
import { getParamInfo } from './catalog.ts';
import { COMPARTMENT_TABLES, paramRows, paramRowsSql } from './rowConditions.ts';
import type { RowRef, SqlParams } from './sql.ts';
import { TABLE_NAMES, type IndexTable } from './types.ts';
import { invalid } from './values.ts';

/** A sort key: SQL expression over a row (possibly reading a joined relation), and direction. */
export interface SortKey {
  rule: SortRule;
  expr(p: SqlParams, row: RowRef, resourceType: string, compartment?: string): SortSql;
}

export interface SortSql {
  expr: string;
  /** A LEFT JOIN the expression reads from, to add after the FROM item of `row`. */
  join?: string;
}

/** Columns aggregated for sorting, by table: ascending uses the lowest value, descending the highest. */
const SORT_COLUMNS: Record<IndexTable, { asc: string; desc: string }> = {
  token: { asc: 'min(s.value)', desc: 'max(s.value)' },
  string: { asc: 'min(s.norm)', desc: 'max(s.norm)' },
  reference: { asc: 'min(s.ref)', desc: 'max(s.ref)' },
  date: { asc: 'min(s.low)', desc: 'max(s.high)' },
  number: { asc: 'min(s.low)', desc: 'max(s.high)' },
  quantity: { asc: 'min(s.low)', desc: 'max(s.high)' },
  uri: { asc: 'min(s.value)', desc: 'max(s.value)' },
};

/**
 * Resolves sort rules for a resource type. Unknown or unsortable parameters throw 400 in strict mode and are
 * dropped (and reported in `ignored`) in lenient mode.
 */
export function compileSort(
  resourceType: string,
  rules: SortRule[] | undefined,
  strict: boolean,
  ignored: SortRule[]
): SortKey[] {
  const keys: SortKey[] = [];
  for (const rule of rules ?? []) {
    const key = compileSortRule(resourceType, rule);
    if (key) {
      keys.push(key);
    } else if (strict) {
      throw invalid(`Cannot sort by '${rule.code}' on ${resourceType}`);
    } else {
      ignored.push(rule);
    }
  }
  return keys;
}

function compileSortRule(resourceType: string, rule: SortRule): SortKey | undefined {
  const info = getParamInfo(resourceType, rule.code);
  if (!info || info.unsupported) {
    return undefined;
  }
  if (info.column === 'id') {
    return { rule, expr: (_p, row) => ({ expr: row.id }) };
  }
  if (info.column === 'lastUpdated') {
    return {
      rule,
      expr: (p, row, type) => {
        if (row.lastUpdated) {
          return { expr: row.lastUpdated };
        }
        const r = p.alias('u');
        return {
          expr: `(SELECT ${r}.last_updated FROM resource ${r} WHERE ${r}.resource_type = ${p.add(type, 'text')} AND ${r}.id = ${row.id})`,
        };
      },
    };
  }
  const table = info.table;
  if (!table) {
    return undefined;
  }
  const column = rule.descending ? SORT_COLUMNS[table].desc : SORT_COLUMNS[table].asc;
  const rows = paramRows(info);
  return {
    rule,
    expr: (p, row, type, compartment) => {
      const s = p.alias('s');
      const aggregate = column.replace('s.', s + '.');
      if (compartment !== undefined && COMPARTMENT_TABLES.has(table)) {
        // Within a patient compartment: aggregate the patient's rows once and join them (no probe per candidate).
        const keys =
          `SELECT ${s}.resource_id, ${aggregate} AS k FROM ${TABLE_NAMES[table]} ${s} WHERE ${s}.resource_type = ${p.add(type, 'text')}` +
          ` AND ${paramRowsSql(p, s, rows)} AND ${s}.compartment = ${p.add(compartment, 'int8')} GROUP BY ${s}.resource_id`;
        return { expr: `${s}k.k`, join: `LEFT JOIN (${keys}) ${s}k ON ${s}k.resource_id = ${row.id}` };
      }
      return {
        expr:
          `(SELECT ${aggregate} FROM ${TABLE_NAMES[table]} ${s} WHERE ${s}.resource_type = ${p.add(type, 'text')}` +
          ` AND ${s}.resource_id = ${row.id} AND ${paramRowsSql(p, s, rows)})`,
      };
    },
  };
}
