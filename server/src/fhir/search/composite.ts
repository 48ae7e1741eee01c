// Composite parameters ("code$value"): every part must match within the same element (grp), or the same resource.
import type { CompositeComponent, ParamInfo } from './catalog.ts';
import {
  andCondition,
  COMPARTMENT_TABLES,
  inCompartmentSql,
  orCondition,
  paramRows,
  paramRowsSql,
  probe,
  RANK,
  rowCondition,
  type CompartmentKeys,
  type Condition,
  type ParamRows,
  type Predicate,
} from './rowConditions.ts';
import { orderedPredicate, referenceCandidates, stringPredicate, tokenPredicate } from './predicates.ts';
import type { SqlParams } from './sql.ts';
import { TABLE_NAMES } from './types.ts';
import { invalid, splitOnUnescaped } from './values.ts';

function componentPredicate(component: CompositeComponent, code: string, part: string, fhirBaseUrl: string): Predicate {
  switch (component.kind) {
    case 'token':
      return tokenPredicate({ code, booleanToken: component.booleanToken }, part);
    case 'string':
      return stringPredicate('eq', part);
    case 'reference': {
      const refs = referenceCandidates(component.definition, part, fhirBaseUrl);
      return (p, a) => `${a}.ref = ANY(${p.add(refs, 'text[]')})`;
    }
    default:
      return orderedPredicate(component.kind, code, 'eq', part);
  }
}

export function compileComposite(
  resourceType: string,
  info: ParamInfo,
  parts: string[],
  fhirBaseUrl: string,
  compartment?: CompartmentKeys
): Condition {
  const composite = info.composite as NonNullable<ParamInfo['composite']>;
  const alternatives = parts.map((part) => {
    const values = splitOnUnescaped(part, '$');
    if (values.length !== composite.components.length || values.some((v) => v === '')) {
      throw invalid(
        `Invalid value for composite search parameter '${info.code}': expected ${composite.components.length} parts separated by '$'`
      );
    }
    const predicates = composite.components.map((c, i) => componentPredicate(c, info.code, values[i], fhirBaseUrl));
    if (composite.sameResource) {
      // All values come from the one resource: AND of its component parameters.
      return andCondition(
        resourceType,
        composite.components.map((c, i) =>
          rowCondition(resourceType, paramRows(c.definition), predicates[i], RANK.composite, false, compartment)
        )
      );
    }
    return groupedComposite(resourceType, composite.components, predicates, compartment);
  });
  return alternatives.length === 1 ? alternatives[0] : orCondition(alternatives);
}

/**
 * Rows of all components joined on (resource, grp): every part must match within the same element. Rows of
 * resource-level parameters have grp 0 and pair only with each other (the resource itself is one element).
 * Within a compartment, the first component's rows are read from the patient's range (as one IN set).
 */
export function groupedComposite(
  resourceType: string,
  components: CompositeComponent[],
  predicates: (Predicate | undefined)[],
  compartment?: CompartmentKeys
): Condition {
  const scoped = compartment !== undefined && COMPARTMENT_TABLES.has(components[0].table);
  const body = (p: SqlParams, a: string[]): string => {
    const type = p.add(resourceType, 'text');
    const [c0] = a;
    const rows = (c: CompositeComponent): ParamRows => ({ table: c.table, params: c.rowParams });
    const joins = components
      .slice(1)
      .map(
        (c, i) =>
          ` JOIN ${TABLE_NAMES[c.table]} ${a[i + 1]} ON ${a[i + 1]}.resource_type = ${c0}.resource_type AND ${a[i + 1]}.resource_id = ${c0}.resource_id` +
          ` AND ${paramRowsSql(p, a[i + 1], rows(c))} AND ${a[i + 1]}.grp = ${c0}.grp`
      )
      .join('');
    const where = predicates.map((f, i) => (f ? ` AND (${f(p, a[i])})` : '')).join('');
    const inCompartment = scoped ? ` AND ${inCompartmentSql(p, c0, compartment)}` : '';
    return `${TABLE_NAMES[components[0].table]} ${c0}${joins} WHERE ${c0}.resource_type = ${type} AND ${paramRowsSql(p, c0, rows(components[0]))}${inCompartment}${where}`;
  };
  const aliases = (p: SqlParams): string[] => components.map(() => p.alias('c'));
  return {
    rank: scoped ? RANK.compartmentToken : RANK.composite,
    inCompartment: scoped ? (components[0].table as 'token' | 'date') : undefined,
    test: (p, row) => {
      const a = aliases(p);
      if (scoped) {
        return `${row.id} IN (SELECT ${a[0]}.resource_id FROM ${body(p, a)})`;
      }
      return probe(`${body(p, a)} AND ${a[0]}.resource_id = ${row.id}`);
    },
    ids: (p) => {
      const a = aliases(p);
      return `SELECT DISTINCT ${a[0]}.resource_id AS id FROM ${body(p, a)}`;
    },
  };
}
