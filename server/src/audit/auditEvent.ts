// Builds FHIR R4 AuditEvent resources from the small records the audit log is given (pure, no I/O).
import type {
  AuditEvent,
  AuditEventAgent,
  AuditEventEntity,
  AuditEventEntityDetail,
  Coding,
  Extension,
} from '@medplum/fhirtypes';

/** What happened: a FHIR RESTful interaction, or a step of signing in. */
export type AuditAction =
  | 'login'
  | 'logout'
  | 'token'
  | 'read'
  | 'vread'
  | 'search'
  | 'history'
  | 'create'
  | 'update'
  | 'patch'
  | 'delete'
  | 'batch'
  | 'transaction'
  | 'operation'
  | 'export';

/** One event as the server saw it; buildAuditEvent turns it into an AuditEvent. */
export interface AuditEntry {
  action: AuditAction;
  outcome: 'success' | 'failure';
  /** The HTTP status, when there is one: a 5xx failure is recorded as a serious failure ('8'). */
  status?: number;
  outcomeText?: string;
  recorded: Date;
  agent: {
    /** The user's FHIR resource (the token's fhirUser), e.g. 'Practitioner/1'. */
    who?: string;
    /** The account id (token `sub`). */
    accountId?: string;
    /** The OAuth client. */
    clientId?: string;
    /** A name the user gave, e.g. the email of a failed login that matched no account. */
    name?: string;
    ip?: string;
    userAgent?: string;
  };
  entity?: {
    /** 'Type/id' or 'Type/id/_history/vid'. */
    reference?: string;
    /** The search query string (without '?'), stored base64-encoded as R4 requires. */
    query?: string;
    /** The resource type acted on, e.g. for a search. */
    type?: string;
    /** Extra name/value pairs (the operation called, the scope granted). */
    detail?: Record<string, string>;
  };
  /** The Patient the event is about: 'Patient/<id>'. */
  patient?: string;
  /**
   * More resources the one event acted on, each its own entity after `entity`, each with its patient (who get a
   * patient entity each, once): the triggering versions of a batched bot run, recorded as one execution.
   */
  subjects?: { reference: string; detail?: Record<string, string>; patient?: string }[];
}

export const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
export const AUDIT_EVENT_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-event-type';
export const RESTFUL_INTERACTION = 'http://hl7.org/fhir/restful-interaction';
/** The system of the identifier naming an OAuth client as an agent (`agent:identifier=<system>|<client id>`). */
export const OAUTH_CLIENT_SYSTEM = 'http://rpm-platform.org/fhir/sid/oauth-client';
/** The extension on the requesting agent holding the HTTP User-Agent (R4 AuditEvent has no element for it). */
export const USER_AGENT_EXTENSION = 'http://rpm-platform.org/fhir/StructureDefinition/audit-user-agent';
export const OBSERVER_DISPLAY = 'RPM FHIR server';

const OBJECT_ROLE = 'http://terminology.hl7.org/CodeSystem/object-role';
const RESOURCE_TYPES = 'http://hl7.org/fhir/resource-types';
const SECURITY_ROLE_TYPE = 'http://terminology.hl7.org/CodeSystem/extra-security-role-type';
const IHE_EVENT_TYPE = 'urn:ihe:event-type-code';

// Self-explanatory REST codes go without display: every byte is stored twice per event (resource and history).
const REST: Coding = { system: AUDIT_EVENT_TYPE, code: 'rest' };
const USER_AUTHENTICATION: Coding = { system: DCM, code: '110114', display: 'User Authentication' };
const EXPORT: Coding = { system: DCM, code: '110106', display: 'Export' };

function interaction(code: string): Coding {
  return { system: RESTFUL_INTERACTION, code };
}

/** AuditEvent.type, the fixed subtype (REST levels are decided by the entity) and AuditEvent.action, by action. */
const ACTIONS: Record<AuditAction, { type: Coding; subtype?: Coding; code: AuditEvent['action'] }> = {
  login: { type: USER_AUTHENTICATION, subtype: { system: DCM, code: '110122', display: 'Login' }, code: 'E' },
  logout: { type: USER_AUTHENTICATION, subtype: { system: DCM, code: '110123', display: 'Logout' }, code: 'E' },
  // IHE IUA ITI-71 "Get Access Token": the OAuth token endpoint issuing (or refusing) an access token.
  token: {
    type: USER_AUTHENTICATION,
    subtype: { system: IHE_EVENT_TYPE, code: 'ITI-71', display: 'Get Access Token' },
    code: 'E',
  },
  read: { type: REST, subtype: interaction('read'), code: 'R' },
  vread: { type: REST, subtype: interaction('vread'), code: 'R' },
  search: { type: REST, code: 'E' },
  history: { type: REST, code: 'R' },
  create: { type: REST, subtype: interaction('create'), code: 'C' },
  update: { type: REST, subtype: interaction('update'), code: 'U' },
  patch: { type: REST, subtype: interaction('patch'), code: 'U' },
  delete: { type: REST, subtype: interaction('delete'), code: 'D' },
  batch: { type: REST, subtype: interaction('batch'), code: 'E' },
  transaction: { type: REST, subtype: interaction('transaction'), code: 'E' },
  operation: { type: REST, subtype: interaction('operation'), code: 'E' },
  export: { type: EXPORT, subtype: interaction('operation'), code: 'R' },
};

/** Longest text kept per field: an audit record must stay small whatever a client sends. */
const MAX_TEXT = 1024;
const MAX_QUERY = 4096;

/** A non-empty, bounded FHIR string, or undefined (FHIR forbids empty strings). */
function text(value: string | undefined, max = MAX_TEXT): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed.slice(0, max) : undefined;
}

function subtypeOf(entry: AuditEntry): Coding | undefined {
  const fixed = ACTIONS[entry.action].subtype;
  if (fixed) {
    return fixed;
  }
  const level = entry.entity?.reference ? 'instance' : entry.entity?.type ? 'type' : 'system';
  if (entry.action === 'search') {
    // R4 has no search-instance: a compartment search is a search of its type.
    return level === 'system' ? interaction('search-system') : interaction('search-type');
  }
  return interaction(`history-${level}`);
}

/** '0' success, '4' minor failure (refused, bad request, failed login), '8' serious failure (server error). */
function outcomeCode(entry: AuditEntry): AuditEvent['outcome'] {
  if (entry.outcome === 'success') {
    return '0';
  }
  return entry.status !== undefined && entry.status >= 500 ? '8' : '4';
}

function outcomeDescription(entry: AuditEntry): string | undefined {
  const given = text(entry.outcomeText);
  if (entry.outcome === 'success' || !entry.status) {
    return given;
  }
  return given ? `HTTP ${entry.status}: ${given}` : `HTTP ${entry.status}`;
}

/**
 * The agents: the user (when known) and the OAuth client. The first is the requestor and carries the network address
 * and User-Agent; a request refused before anyone was identified has one anonymous requestor.
 */
function agentsOf(entry: AuditEntry): AuditEventAgent[] {
  const { who, accountId, clientId, name, ip, userAgent } = entry.agent;
  const agents: AuditEventAgent[] = [];
  const userName = text(name, 256);
  if (who || accountId || userName) {
    agents.push({
      type: { coding: [{ system: SECURITY_ROLE_TYPE, code: 'humanuser' }] },
      ...(who ? { who: { reference: who } } : {}),
      ...(accountId ? { altId: accountId } : {}),
      ...(userName ? { name: userName } : {}),
      requestor: true,
    });
  }
  if (clientId) {
    agents.push({
      type: { coding: [{ system: DCM, code: '110150', display: 'Application' }] },
      who: { identifier: { system: OAUTH_CLIENT_SYSTEM, value: clientId } },
      requestor: agents.length === 0,
    });
  }
  if (agents.length === 0) {
    agents.push({ requestor: true });
  }
  const requestor = agents[0];
  // '::ffff:10.0.0.7' (IPv4 on a dual-stack socket) is recorded as '10.0.0.7', so address= finds it either way.
  const address = text(ip, 64)?.replace(/^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i, '$1');
  if (address) {
    requestor.network = { address, type: '2' };
  }
  const agentString = text(userAgent, 512);
  if (agentString) {
    requestor.extension = [{ url: USER_AGENT_EXTENSION, valueString: agentString } satisfies Extension];
  }
  return agents;
}

function patientRole(): AuditEventEntity['role'] {
  return { system: OBJECT_ROLE, code: '1', display: 'Patient' };
}

/** The reference without a version suffix: 'Patient/1/_history/2' → 'Patient/1'. */
function unversioned(reference: string): string {
  return reference.replace(/\/_history\/[^/]*$/, '');
}

/** The entity of what the entry acted on (resource, query, details), or undefined when it names nothing. */
function ownEntityOf(entry: AuditEntry, patient: string | undefined): AuditEventEntity | undefined {
  const given = entry.entity;
  if (!given || !(given.reference || given.query || given.type || given.detail)) {
    return undefined;
  }
  const entity: AuditEventEntity = {};
  const reference = text(given.reference, 200);
  if (reference) {
    entity.what = { reference };
  }
  const resourceType = text(given.type, 64) ?? reference?.split('/')[0];
  if (resourceType) {
    entity.type = { system: RESOURCE_TYPES, code: resourceType };
  }
  const query = given.query?.slice(0, MAX_QUERY);
  if (query) {
    entity.role = { system: OBJECT_ROLE, code: '24', display: 'Query' };
    entity.query = Buffer.from(query, 'utf8').toString('base64');
  }
  if (reference && patient && unversioned(reference) === patient) {
    entity.role = patientRole();
  }
  const details: AuditEventEntityDetail[] = [];
  for (const [type, value] of Object.entries(given.detail ?? {})) {
    const valueString = text(value);
    if (type && valueString) {
      details.push({ type, valueString });
    }
  }
  if (details.length > 0) {
    entity.detail = details;
  }
  return entity;
}

/** Most `subjects` one event records: past it they are left out (a batched bot run has at most 100 triggers). */
const MAX_SUBJECTS = 100;

/**
 * One entity per entry (in order) and per subject, then the patient's own entity unless one of them already is the
 * patient, then one for each other patient of the subjects.
 */
function entitiesOf(entries: AuditEntry[]): AuditEventEntity[] {
  const patient = text(entries[0].patient, 200);
  const entities: AuditEventEntity[] = [];
  for (const entry of entries) {
    const entity = ownEntityOf(entry, patient);
    if (entity) {
      entities.push(entity);
    }
  }
  const subjects = entries.flatMap((e) => e.subjects ?? []).slice(0, MAX_SUBJECTS);
  for (const subject of subjects) {
    const entity = ownEntityOf({ ...entries[0], entity: subject }, undefined);
    if (entity) {
      entities.push(entity);
    }
  }
  const patients = new Set<string>();
  if (patient && !entities.some((e) => e.role?.code === '1')) {
    patients.add(patient);
  }
  for (const subject of subjects) {
    const other = text(subject.patient, 200);
    if (other && other !== patient) {
      patients.add(other);
    }
  }
  for (const reference of patients) {
    entities.push({ what: { reference }, role: patientRole() });
  }
  return entities;
}

/** Actions whose entries of one caller, outcome and patient may share one AuditEvent (see coalescingKey). */
const COALESCED_ACTIONS: ReadonlySet<AuditAction> = new Set(['read', 'vread', 'search', 'history']);

/**
 * The key under which entries may share one AuditEvent, or undefined for entries that always get their own (writes,
 * logins, tokens, Bundles, operations, exports). Entries with equal keys give equal AuditEvents apart from the
 * entities and the time: the same subtype (read, vread, search-type, history-instance, ...), outcome and outcome
 * text, the same agent (user, account, client, name, address, User-Agent) and the same patient (or none).
 */
export function coalescingKey(entry: AuditEntry): string | undefined {
  if (!COALESCED_ACTIONS.has(entry.action)) {
    return undefined;
  }
  const { who, accountId, clientId, name, ip, userAgent } = entry.agent;
  return JSON.stringify([
    subtypeOf(entry)?.code,
    outcomeCode(entry),
    outcomeDescription(entry) ?? null,
    who ?? null,
    accountId ?? null,
    clientId ?? null,
    name ?? null,
    ip ?? null,
    userAgent ?? null,
    text(entry.patient, 200) ?? null,
  ]);
}

export interface CoalesceOptions {
  /** Most entries (entities) in one AuditEvent; past it a new event starts. */
  maxEntries: number;
  /** Longest time between the first and the last entry of one AuditEvent, ms. */
  maxSpanMs: number;
}

/**
 * Groups entries into the AuditEvents they become, in order of each group's first entry: entries with the same
 * coalescingKey share a group (up to maxEntries, within maxSpanMs of its first); every other entry is alone.
 */
export function groupAuditEntries(entries: AuditEntry[], options: CoalesceOptions): AuditEntry[][] {
  const groups: AuditEntry[][] = [];
  const open = new Map<string, AuditEntry[]>();
  for (const entry of entries) {
    const key = coalescingKey(entry);
    if (key === undefined) {
      groups.push([entry]);
      continue;
    }
    const group = open.get(key);
    if (
      group &&
      group.length < options.maxEntries &&
      Math.abs(entry.recorded.getTime() - group[0].recorded.getTime()) <= options.maxSpanMs
    ) {
      group.push(entry);
    } else {
      const started = [entry];
      groups.push(started);
      open.set(key, started);
    }
  }
  return groups;
}

export interface AuditEventOptions {
  /** AuditEvent.source.site: which server instance recorded the event (e.g. its host name). */
  site?: string;
}

/**
 * The AuditEvent of one entry, or of a group from groupAuditEntries (entries with one coalescingKey): one entity per
 * entry, `period` from the first to the last entry and `recorded` the last. Without id and meta (the audit log stamps
 * those when it writes).
 */
export function buildAuditEvent(entries: AuditEntry | AuditEntry[], options: AuditEventOptions = {}): AuditEvent {
  const group = Array.isArray(entries) ? entries : [entries];
  const entry = group[0];
  if (!entry) {
    throw new Error('No audit entry to build an AuditEvent from');
  }
  const action = ACTIONS[entry.action];
  if (!action) {
    throw new Error(`Unknown audit action: ${String(entry.action)}`);
  }
  let first = entry.recorded;
  let last = entry.recorded;
  for (const other of group) {
    if (other.recorded < first) first = other.recorded;
    if (other.recorded > last) last = other.recorded;
  }
  const event: AuditEvent = {
    resourceType: 'AuditEvent',
    type: action.type,
    subtype: [subtypeOf(entry) as Coding],
    action: action.code,
    ...(group.length > 1 ? { period: { start: first.toISOString(), end: last.toISOString() } } : {}),
    recorded: last.toISOString(),
    outcome: outcomeCode(entry),
    agent: agentsOf(entry),
    source: {
      ...(options.site ? { site: options.site } : {}),
      observer: { display: OBSERVER_DISPLAY },
    },
  };
  const description = outcomeDescription(entry);
  if (description) {
    event.outcomeDesc = description;
  }
  const entities = entitiesOf(group);
  if (entities.length > 0) {
    event.entity = entities;
  }
  return event;
}
