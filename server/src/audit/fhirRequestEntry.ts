// Decides what one FHIR API request was, for the audit log: the action, what it touched and the patient it concerned.
import type { AuditAction, AuditEntry } from './auditEvent.ts';

/** What an HTTP exchange under /fhir/R4 looked like once it was answered. */
export interface FhirExchange {
  method: string;
  /** The path below the FHIR base, e.g. 'Observation/123' ('' for the base). */
  path: string;
  /** The raw query string without '?' (for POST _search the form body is appended; for POST $lastn its Parameters). */
  query: string;
  /** The parsed request body, if any. */
  body: unknown;
  status: number;
  /** The response's Location header (creates). */
  location?: string;
  /** The SMART launch-context patient id of the caller's token. */
  contextPatient?: string;
}

export type RequestDescription = Pick<AuditEntry, 'action' | 'entity' | 'patient'>;

const TYPE = /^[A-Z][A-Za-z]{1,63}$/;
const ID = /^[A-Za-z0-9\-.]{1,64}$/;
const PATIENT_REF = /^(?:Patient\/)?([A-Za-z0-9\-.]{1,64})$/;
const SUBJECT_PATIENT_REF = /^Patient\/([A-Za-z0-9\-.]{1,64})$/;
const LOCATION_REF = /(?:^|\/)([A-Z][A-Za-z]{1,63}\/[A-Za-z0-9\-.]{1,64}(?:\/_history\/[A-Za-z0-9\-.]{1,64})?)$/;

const WRITE_ACTIONS: Record<string, AuditAction> = {
  GET: 'read',
  POST: 'create',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
};

/** The Patient a search names with patient=, subject=Patient/… or subject:Patient= (one value only). */
function patientOfQuery(query: string): string | undefined {
  if (!query) {
    return undefined;
  }
  const params = new URLSearchParams(query);
  const candidates: [string | null, RegExp][] = [
    [params.get('patient'), PATIENT_REF],
    [params.get('patient:Patient'), PATIENT_REF],
    [params.get('subject:Patient'), PATIENT_REF],
    [params.get('subject'), SUBJECT_PATIENT_REF],
  ];
  for (const [value, pattern] of candidates) {
    const id = value ? pattern.exec(value)?.[1] : undefined;
    if (id) {
      return `Patient/${id}`;
    }
  }
  return undefined;
}

/** The Patient a written resource points to through subject or patient. */
function patientOfBody(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') {
    return undefined;
  }
  const resource = body as { subject?: { reference?: unknown }; patient?: { reference?: unknown } };
  for (const ref of [resource.subject?.reference, resource.patient?.reference]) {
    const id = typeof ref === 'string' ? SUBJECT_PATIENT_REF.exec(ref)?.[1] : undefined;
    if (id) {
      return `Patient/${id}`;
    }
  }
  return undefined;
}

/**
 * An operation call: Type/id/$op, Type/$op or $op; export is told apart from other operations. A type-level call's
 * query (e.g. Observation/$lastn?subject=…) is kept, as a search's is: it says whose data was read.
 */
function describeOperation(segments: string[], at: number, query: string): RequestDescription {
  const operation = segments[at].slice(0, 64);
  const action: AuditAction = operation === '$export' ? 'export' : 'operation';
  const detail = { operation };
  if (at === 2) {
    return { action, entity: { reference: `${segments[0]}/${segments[1]}`, detail } };
  }
  return { action, entity: at === 1 ? { type: segments[0], ...(query ? { query } : {}), detail } : { detail } };
}

/** The action and entity from method and path alone. */
function describePath(method: string, segments: string[], query: string, body: unknown): RequestDescription {
  const [first, second, third, fourth] = segments;
  const operationAt = segments.findIndex((s) => s.startsWith('$'));
  if (operationAt >= 0 && operationAt <= 2) {
    return describeOperation(segments, operationAt, query);
  }
  if (segments.length === 0) {
    if (method === 'POST') {
      const type = (body as { type?: unknown } | undefined)?.type;
      return { action: type === 'transaction' ? 'transaction' : 'batch' };
    }
    return { action: 'search', entity: query ? { query } : undefined };
  }
  if (first === '_history') {
    return { action: 'history' };
  }
  if (first === '_search') {
    return { action: 'search', entity: query ? { query } : undefined };
  }
  if (first === 'job' && third === 'status' && segments.length === 3 && ID.test(second)) {
    // The asynchronous pattern's status URL: polling reads the AsyncJob, DELETE cancels it (an update).
    return { action: method === 'GET' ? 'read' : 'update', entity: { reference: `AsyncJob/${second}` } };
  }
  if (!TYPE.test(first)) {
    return { action: WRITE_ACTIONS[method] ?? 'operation' };
  }
  if (segments.length === 1) {
    const action: AuditAction = method === 'GET' ? 'search' : (WRITE_ACTIONS[method] ?? 'operation');
    return { action, entity: { type: first, ...(query ? { query } : {}) } };
  }
  if (second === '_search' && segments.length === 2) {
    return { action: 'search', entity: { type: first, ...(query ? { query } : {}) } };
  }
  if (second === '_history' && segments.length === 2) {
    return { action: 'history', entity: { type: first } };
  }
  if (!ID.test(second)) {
    return { action: WRITE_ACTIONS[method] ?? 'operation', entity: { type: first } };
  }
  const reference = `${first}/${second}`;
  if (segments.length === 2) {
    return { action: WRITE_ACTIONS[method] ?? 'operation', entity: { reference } };
  }
  if (third === '_history') {
    return segments.length === 4 && fourth && ID.test(fourth)
      ? { action: 'vread', entity: { reference: `${reference}/_history/${fourth}` } }
      : { action: 'history', entity: { reference } };
  }
  if (segments.length === 3 && TYPE.test(third)) {
    // A compartment search: Patient/123/Observation?...
    return { action: 'search', entity: { type: third, ...(query ? { query } : {}) } };
  }
  return { action: WRITE_ACTIONS[method] ?? 'operation', entity: { reference } };
}

/** The action, entity and patient of one FHIR API request; undefined for requests not audited (metadata). */
export function describeFhirRequest(exchange: FhirExchange): RequestDescription | undefined {
  const segments = exchange.path.split('/').filter((s) => s !== '');
  if (segments[0] === 'metadata' && segments.length === 1) {
    return undefined;
  }
  const description = describePath(exchange.method, segments, exchange.query, exchange.body);
  if (description.action === 'create' && exchange.location) {
    const created = LOCATION_REF.exec(exchange.location)?.[1];
    if (created) {
      description.entity = { reference: created };
    }
  }
  const reference = description.entity?.reference;
  const patientId =
    segments[0] === 'Patient' && segments[1] && ID.test(segments[1])
      ? segments[1]
      : reference?.startsWith('Patient/')
        ? reference.split('/')[1]
        : undefined;
  const patient =
    (patientId ? `Patient/${patientId}` : undefined) ??
    patientOfQuery(exchange.query) ??
    (['create', 'update', 'patch'].includes(description.action) ? patientOfBody(exchange.body) : undefined) ??
    (exchange.contextPatient && ID.test(exchange.contextPatient) ? `Patient/${exchange.contextPatient}` : undefined);
  if (patient) {
    description.patient = patient;
  }
  return description;
}
