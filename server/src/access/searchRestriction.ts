// The reach as a SQL search condition, ANDed into every search statement (matches, chained and _has candidates).
import type { Interaction } from '../auth/smartScopes.ts';
import type { Condition } from '../fhir/search/conditions.ts';
import { andCondition, constant, orCondition, probe, RANK } from '../fhir/search/rowConditions.ts';
import type { SqlParams } from '../fhir/search/sql.ts';
import type { CallerAccess } from './callerAccess.ts';
import { patientRefs } from './compartmentPatients.ts';
import { grantingScopes } from './grants.ts';
import type { Reach } from './reach.ts';
import { scopeQueryConditions } from './scopeQuery.ts';
import { categoryOf, compartmentRowParams, OWNER_TAG_SYSTEM } from './typeRules.ts';

/** Up to this many reached Patients, the restriction is selective enough to drive a search (see README). */
export const SMALL_REACH = 50;
/** Otherwise it ranks after every filter but _lastUpdated and :contains: it drives only unfiltered searches. */
const LARGE_REACH_RANK = RANK.date + 5;

/** Matches nothing: no scope grants the type. */
export const NOTHING: Condition = constant(false);

/**
 * The condition every resource of the type must meet for the caller; undefined when nothing is restricted (system
 * tokens with type-wide scopes, directory types). OR over the granting scopes of (the context's reach AND the
 * scope's granular query). `compartmentPatient`: the Patient the search's own filters confine every match to.
 */
export function restrictionFor(
  access: CallerAccess,
  resourceType: string,
  interaction: Interaction,
  compartmentPatient?: string
): Condition | undefined {
  const scopes = grantingScopes(access.caller, resourceType, interaction);
  if (scopes.length === 0) {
    return NOTHING;
  }
  if (!access.reach) {
    return undefined;
  }
  const alternatives: Condition[] = [];
  for (const context of ['user', 'patient'] as const) {
    const own = scopes.filter((s) => s.context === context);
    if (own.length === 0) {
      continue;
    }
    const reach = reachCondition(access.reach[context], resourceType, access.fhirBaseUrl, compartmentPatient);
    const queries = own.map((s) => scopeQueryConditions(s, resourceType, access.fhirBaseUrl));
    if (queries.some((q) => q.length === 0)) {
      if (!reach) {
        return undefined;
      }
      alternatives.push(reach);
      continue;
    }
    for (const query of queries) {
      const parts = reach ? [reach, ...query] : query;
      alternatives.push(parts.length === 1 ? parts[0] : andCondition(resourceType, parts));
    }
  }
  return alternatives.length === 1 ? alternatives[0] : orCondition(alternatives);
}

/** A reach as a condition on one type (see checkRead.ts inReadReach, which this mirrors); undefined = all. */
export function reachCondition(
  reach: Reach,
  resourceType: string,
  fhirBaseUrl: string,
  compartmentPatient?: string
): Condition | undefined {
  switch (categoryOf(resourceType)) {
    case 'restricted':
      return undefined;
    case 'owned':
      return reach.everyOwner ? undefined : reach.owner ? ownedBy(resourceType, reach.owner) : NOTHING;
    case 'directory': {
      const params = compartmentRowParams(resourceType);
      if (params.length === 0) {
        return undefined;
      }
      return orCondition([
        unlinked(resourceType, params, fhirBaseUrl),
        inCompartments(resourceType, params, reach, fhirBaseUrl),
      ]);
    }
    case 'compartment': {
      if (resourceType === 'Patient') {
        return withIds(resourceType, reach.patients);
      }
      // subject=Patient/X with X reached: every match is in X's compartment already (the typical RPM query).
      if (compartmentPatient !== undefined && reach.patients.has(compartmentPatient)) {
        return undefined;
      }
      const own = [...reach.resources].filter((r) => r.startsWith(resourceType + '/')).map((r) => r.split('/')[1]);
      const compartment = inCompartments(resourceType, compartmentRowParams(resourceType), reach, fhirBaseUrl);
      return own.length > 0 ? orCondition([compartment, withIds(resourceType, new Set(own))]) : compartment;
    }
  }
}

/**
 * In the compartment of a reached Patient: a reference row of a compartment param to one of them. As a probe (the
 * usual role) the reference list is a hashed `= ANY(array)` hidden from the planner's selectivity estimation, which
 * would otherwise cost about a microsecond per element at every planning; as a driver (small reaches, or nothing
 * better) a plain `= ANY` so that the lookup index serves it.
 */
function inCompartments(resourceType: string, params: string[], reach: Reach, fhirBaseUrl: string): Condition {
  if (reach.patients.size === 0 || params.length === 0) {
    return NOTHING;
  }
  const refs = refsOf(reach, fhirBaseUrl);
  const rows = (p: SqlParams, x: string): string =>
    `search_reference ${x} WHERE ${x}.resource_type = ${p.add(resourceType, 'text')}` +
    ` AND ${x}.param = ANY(${p.add(params, 'text[]')})`;
  return {
    rank: reach.patients.size <= SMALL_REACH ? RANK.reference : LARGE_REACH_RANK,
    test: (p, row) => {
      const x = p.alias('a');
      return probe(
        `${rows(p, x)} AND ${x}.resource_id = ${row.id}` +
          ` AND (CASE WHEN ${x}.ref = ANY(${p.add(refs, 'text[]')}) THEN TRUE END)`
      );
    },
    ids: (p) => {
      const x = p.alias('a');
      return `SELECT DISTINCT ${x}.resource_id AS id FROM ${rows(p, x)} AND ${x}.ref = ANY(${p.add(refs, 'text[]')})`;
    },
  };
}

const refLists = new WeakMap<ReadonlySet<string>, string[]>();

/** The reference forms of a reach's Patients, one array per reach (SqlParams sends one array once per statement). */
function refsOf(reach: Reach, fhirBaseUrl: string): string[] {
  let refs = refLists.get(reach.patients);
  if (!refs) {
    refs = patientRefs(reach.patients, fhirBaseUrl);
    refLists.set(reach.patients, refs);
  }
  return refs;
}

/** Naming no Patient of this server in the link params (an unassigned Device). */
function unlinked(resourceType: string, params: string[], fhirBaseUrl: string): Condition {
  const base = fhirBaseUrl.replace(/\/+$/, '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = `^(${base}/)?Patient/[A-Za-z0-9.-]{1,64}$`;
  return {
    rank: Infinity,
    test: (p, row) => {
      const x = p.alias('a');
      return `NOT ${probe(
        `search_reference ${x} WHERE ${x}.resource_type = ${p.add(resourceType, 'text')} AND ${x}.resource_id = ${row.id}` +
          ` AND ${x}.param = ANY(${p.add(params, 'text[]')}) AND ${x}.ref ~ ${p.add(pattern, 'text')}`
      )}`;
    },
  };
}

/** Tagged as owned by this account (typeRules.ts OWNER_TAG_SYSTEM, indexed under `_tag`). */
function ownedBy(resourceType: string, owner: string): Condition {
  const rows = (p: SqlParams, x: string): string =>
    `search_token ${x} WHERE ${x}.resource_type = ${p.add(resourceType, 'text')} AND ${x}.param = '_tag'` +
    ` AND ${x}.system = ${p.add(OWNER_TAG_SYSTEM, 'text')} AND ${x}.value = ${p.add(owner, 'text')}`;
  return {
    rank: RANK.reference,
    test: (p, row) => {
      const x = p.alias('a');
      return probe(`${rows(p, x)} AND ${x}.resource_id = ${row.id}`);
    },
    ids: (p) => {
      const x = p.alias('a');
      return `SELECT DISTINCT ${x}.resource_id AS id FROM ${rows(p, x)}`;
    },
  };
}

/** One of these ids (Patients: the reached ones; a carer's own RelatedPerson). */
function withIds(resourceType: string, ids: ReadonlySet<string>): Condition {
  if (ids.size === 0) {
    return NOTHING;
  }
  const list = [...ids];
  return {
    rank: ids.size <= 20 * SMALL_REACH ? RANK.reference : LARGE_REACH_RANK,
    test: (p, row) => `(CASE WHEN ${row.id} = ANY(${p.add(list, 'text[]')}) THEN TRUE END)`,
    ids: (p) => {
      const u = p.alias('u');
      return (
        `SELECT ${u}.id FROM resource ${u} WHERE ${u}.resource_type = ${p.add(resourceType, 'text')}` +
        ` AND ${u}.id = ANY(${p.add(list, 'text[]')}) AND NOT ${u}.deleted`
      );
    },
  };
}
