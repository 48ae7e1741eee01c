// Refuses writes whose literal references (`Type/id`) name nothing stored, and readings from a device assigned to someone else.
import { isResourceType, OperationOutcomeError } from '@medplum/core';
import type { Device, OperationOutcome, Resource } from '@medplum/fhirtypes';
import type { Queryable } from '../../db/pool.ts';
import type { StatementBatch } from '../../db/statementBatch.ts';
import { deviceAssignmentProblem } from '../../devices/deviceAssignment.ts';

const LITERAL = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(\/_history\/[A-Za-z0-9\-.]{1,64})?$/;

/**
 * What one database transaction already knows to exist: every resource it wrote, and every resource its reads and
 * searches returned (e.g. the Patient and Device a gateway bundle's `ifNoneExist` found). Devices are kept whole
 * (their `patient` decides whether a reading is accepted); other types as `null`. Deleted in the transaction: absent.
 */
export type KnownResources = Map<string, Device | null>;

/** Remembers a resource as existing in this transaction. */
export function rememberResource(known: KnownResources, resource: Resource): void {
  if (resource.id) {
    known.set(`${resource.resourceType}/${resource.id}`, resource.resourceType === 'Device' ? resource : null);
  }
}

/** A literal reference found in a resource: where, and the `Type/id` it names. */
interface LocalReference {
  expression: string;
  key: string;
}

/** Every `reference` of the form `Type/id` (or `Type/id/_history/v`) naming a resource type; Bundles are skipped. */
export function localReferences(resource: Resource): LocalReference[] {
  const found: LocalReference[] = [];
  if (resource.resourceType !== 'Bundle') {
    collect(resource, resource.resourceType, found);
  }
  return found;
}

function collect(value: unknown, expression: string, found: LocalReference[]): void {
  if (Array.isArray(value)) {
    value.forEach((item, i) => collect(item, `${expression}[${i}]`, found));
    return;
  }
  if (!value || typeof value !== 'object') {
    return;
  }
  for (const [key, child] of Object.entries(value)) {
    if (key === 'reference' && typeof child === 'string') {
      const match = LITERAL.exec(child);
      if (match && isResourceType(match[1])) {
        found.push({ expression: `${expression}.reference`, key: `${match[1]}/${match[2]}` });
      }
    } else if (typeof child === 'object' && child !== null) {
      collect(child, `${expression}.${key}`, found);
    }
  }
}

/** How the refusal may describe a Device's patient: system callers see it; a user may not reach it. */
export interface TargetCheckOptions {
  /** True for user tokens: a device's other patient is not named. */
  hideOtherPatient: boolean;
}

/**
 * Checks the resources about to be written together (one flush of a transaction): every literal reference must name a
 * live resource, and an Observation's `device` must not be assigned (`Device.patient`) to a patient other than its
 * `subject`. Targets known to the transaction cost nothing; the rest are looked up in ONE query, which also returns
 * the `patient` of Devices. 422 (business-rule) naming the element; the caller's transaction then rolls back.
 */
export async function assertReferenceTargets(
  db: Queryable,
  resources: Resource[],
  known: KnownResources,
  options: TargetCheckOptions
): Promise<void> {
  const references = resources.map((resource) => ({ resource, references: localReferences(resource) }));
  const unknown = new Set<string>();
  for (const { references: refs } of references) {
    for (const { key } of refs) {
      if (!known.has(key)) {
        unknown.add(key);
      }
    }
  }
  const stored = unknown.size > 0 ? await selectLiveTargets(db, [...unknown]) : new Map<string, Device | null>();
  for (const { resource, references: refs } of references) {
    for (const { expression, key } of refs) {
      if (!known.has(key) && !stored.has(key)) {
        throw new OperationOutcomeError(
          unprocessable(
            `${expression} refers to ${key}, which does not exist on this server: create it first, or send it in the same transaction Bundle`,
            expression
          )
        );
      }
    }
    if (resource.resourceType === 'Observation') {
      const deviceKey = resource.device?.reference;
      const device = deviceKey ? (known.get(deviceKey) ?? stored.get(deviceKey)) : undefined;
      const problem = device ? deviceAssignmentProblem(resource, device, options.hideOtherPatient) : undefined;
      if (problem) {
        throw new OperationOutcomeError(unprocessable(problem, 'Observation.device'));
      }
    }
  }
}

/**
 * The same check for resources written in one statement without a transaction (PostgresRepository.createResource,
 * alone or grouped with other callers' creates), as a guard of that statement: it holds when every literal reference
 * names a live resource and no Device named is assigned to a patient other than the naming Observation's subject. It
 * is stricter than assertReferenceTargets (it looks at every Device named, not only `Observation.device`): a failed
 * guard writes nothing and sends the writes down the transactional path, which decides and explains.
 */
export function addReferenceTargetsGuard(batch: StatementBatch, resources: readonly Resource[]): void {
  const types: string[] = [];
  const ids: string[] = [];
  const subjects: (string | null)[] = [];
  for (const resource of resources) {
    const self = `${resource.resourceType}/${resource.id}`;
    const keys = [...new Set(localReferences(resource).map((r) => r.key))].filter((key) => key !== self);
    // A Device without a patient reads for anyone: its missing patient counts as the subject.
    const subject = resource.resourceType === 'Observation' ? (resource.subject?.reference ?? null) : null;
    const split = typesAndIds(keys);
    types.push(...split.types);
    ids.push(...split.ids);
    subjects.push(...keys.map(() => subject));
  }
  if (types.length === 0) {
    return;
  }
  batch.addGuard(
    (n) => `(SELECT count(*) FROM resource r
        JOIN unnest($${n}::text[], $${n + 1}::text[], $${n + 2}::text[]) AS k(resource_type, id, subject)
        ON r.resource_type = k.resource_type AND r.id = k.id
      WHERE NOT r.deleted
        AND (r.resource_type <> 'Device' OR k.subject IS NULL
             OR coalesce(r.content::jsonb -> 'patient' ->> 'reference', k.subject) = k.subject)
    ) = $${n + 3}::bigint`,
    [types, ids, subjects, types.length]
  );
}

/** `Type/id` keys as the two arrays the queries unnest. */
function typesAndIds(keys: string[]): { types: string[]; ids: string[] } {
  return {
    types: keys.map((k) => k.slice(0, k.indexOf('/'))),
    ids: keys.map((k) => k.slice(k.indexOf('/') + 1)),
  };
}

/** The live resources among `keys`, with each Device's `patient` (one query). */
async function selectLiveTargets(db: Queryable, keys: string[]): Promise<Map<string, Device | null>> {
  const { types, ids } = typesAndIds(keys);
  const result = await db.query(
    `SELECT r.resource_type, r.id,
            CASE WHEN r.resource_type = 'Device' THEN r.content::jsonb -> 'patient' END AS patient
       FROM resource r JOIN unnest($1::text[], $2::text[]) AS k(resource_type, id)
         ON r.resource_type = k.resource_type AND r.id = k.id
      WHERE NOT r.deleted`,
    [types, ids]
  );
  const live = new Map<string, Device | null>();
  for (const row of result.rows as { resource_type: string; id: string; patient: Device['patient'] | null }[]) {
    live.set(
      `${row.resource_type}/${row.id}`,
      row.resource_type === 'Device'
        ? { resourceType: 'Device', id: row.id, ...(row.patient ? { patient: row.patient } : {}) }
        : null
    );
  }
  return live;
}

/** 422 Unprocessable Entity with a business-rule issue. */
function unprocessable(text: string, expression: string): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    id: 'http-422',
    issue: [{ severity: 'error', code: 'business-rule', details: { text }, expression: [expression] }],
  };
}
