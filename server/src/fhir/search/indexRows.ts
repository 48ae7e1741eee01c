// Builds the search-index rows of one resource version by evaluating its type's SearchParameters (pure, no I/O).
import { evalFhirPathTyped, toTypedValue, type TypedValue, type WithId } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import { getTypeCatalog, mayHaveValues, type CompositeInfo, type ParamInfo, type ParamKind } from './catalog.ts';
import { compartmentKey, patientIdOf } from './compartment.ts';
import { parseDateRange, toIso } from './dates.ts';
import {
  MAX_INDEXED_BYTES,
  MAX_INDEXED_STRING,
  MAX_SYSTEM_BYTES,
  normalizeText,
  truncate,
  truncateUtf8,
} from './text.ts';
import type { SearchIndexRows } from './types.ts';

/** Every search-index row of one resource version (all SearchParameters of its type, incl. _tag, _profile, _security, _source). */
export function buildSearchIndexRows(resource: WithId<Resource>): SearchIndexRows {
  const rows: SearchIndexRows = {
    resourceType: resource.resourceType,
    id: resource.id,
    compartment: null,
    token: [],
    string: [],
    reference: [],
    date: [],
    number: [],
    quantity: [],
    uri: [],
  };
  const catalog = getTypeCatalog(resource.resourceType);
  if (!catalog) {
    return rows;
  }
  const json = resource as unknown as Record<string, unknown>;
  const typed = toTypedValue(resource);
  const input = [typed];
  // Elements of composite bases, evaluated once per base for all parameters grouped by it.
  const groupElements = new Map<string, TypedValue[]>();
  for (const param of catalog.indexed) {
    if (!mayHaveValues(json, param.roots)) {
      continue;
    }
    try {
      if (param.composite) {
        addCompositeRows(rows, param.composite, typed);
      } else if (param.group) {
        const { baseKey, base, relative } = param.group;
        let elements = groupElements.get(baseKey);
        if (!elements) {
          elements = evalFhirPathTyped(base, input);
          groupElements.set(baseKey, elements);
        }
        for (let i = 0; i < elements.length && i < MAX_GROUPS; i++) {
          const values = evalFhirPathTyped(relative, [elements[i]]);
          if (values.length > 0) {
            addRows(rows, param.kind, param.code, i + 1, values);
          }
        }
      } else {
        const values = evalFhirPathTyped(param.atom as NonNullable<ParamInfo['atom']>, input);
        if (values.length > 0) {
          addRows(rows, param.kind, param.code, 0, values);
        }
      }
    } catch {
      // An expression that cannot be evaluated on this resource yields no index values for it.
    }
  }
  if (catalog.compartmentParam) {
    rows.compartment = findCompartment(rows, catalog.compartmentParam);
  }
  return rows;
}

/** The compartment key of the Patient the compartment param points to (it is single-valued), or null. */
function findCompartment(rows: SearchIndexRows, param: string): string | null {
  for (const row of rows.reference) {
    if (row.param === param) {
      const patientId = patientIdOf(row.ref);
      return patientId ? compartmentKey(patientId) : null;
    }
  }
  return null;
}

/** grp is a smallint: elements beyond this many are not indexed for composite matching. */
const MAX_GROUPS = 32000;

function addCompositeRows(rows: SearchIndexRows, composite: CompositeInfo, typed: TypedValue): void {
  const variables = { '%resource': typed, '%rootResource': typed };
  const elements = evalFhirPathTyped(composite.base, [typed], variables);
  let grp = 0;
  for (const element of elements) {
    if (grp >= MAX_GROUPS) {
      break;
    }
    const componentValues: TypedValue[][] = [];
    for (const component of composite.components) {
      const values = evalFhirPathTyped(component.atom, [element], variables);
      if (values.length === 0) {
        break;
      }
      componentValues.push(values);
    }
    // A group lacking any component can never match a composite search.
    if (componentValues.length !== composite.components.length) {
      continue;
    }
    grp++;
    composite.components.forEach((component, i) =>
      addRows(rows, component.kind, component.rowParams[0], grp, componentValues[i])
    );
  }
}

/** Converts typed values of one parameter into rows of its table. */
function addRows(rows: SearchIndexRows, kind: ParamKind, param: string, grp: number, values: TypedValue[]): void {
  switch (kind) {
    case 'token':
      addTokenRows(rows, param, grp, values);
      break;
    case 'string':
      addStringRows(rows, param, grp, values);
      break;
    case 'reference':
      addReferenceRows(rows, param, grp, values);
      break;
    case 'date':
      addDateRows(rows, param, grp, values);
      break;
    case 'number':
      addNumberRows(rows, param, grp, values);
      break;
    case 'quantity':
      addQuantityRows(rows, param, grp, values);
      break;
    case 'uri':
      addUriRows(rows, param, values);
      break;
    default:
      break;
  }
}

// FHIR element values reached through FHIRPath, read defensively (every access is type-checked at runtime).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = Record<string, any>;

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function addTokenRows(rows: SearchIndexRows, param: string, grp: number, values: TypedValue[]): void {
  const seen = new Set<string>();
  const push = (system: string | undefined, value: string | undefined, display: string | undefined): void => {
    if (system === undefined && value === undefined && display === undefined) {
      return;
    }
    const s = system === undefined ? null : truncateUtf8(system, MAX_SYSTEM_BYTES);
    const v = value === undefined ? null : truncateUtf8(value, MAX_INDEXED_BYTES);
    const text = display === undefined ? null : normalizeText(display);
    const key = `${s}\0${v}\0${text}`;
    if (!seen.has(key)) {
      seen.add(key);
      rows.token.push({ param, grp, system: s, value: v, text });
    }
  };
  for (const { type, value } of values) {
    if (value === undefined || value === null) {
      continue;
    }
    if (typeof value !== 'object') {
      push(undefined, str(String(value)), undefined);
      continue;
    }
    const v = value as Obj;
    switch (type) {
      case 'CodeableConcept': {
        const codings: Obj[] = Array.isArray(v.coding) ? v.coding : [];
        const text = str(v.text);
        let textPlaced = text === undefined;
        for (const coding of codings) {
          const display = str(coding?.display);
          if (!textPlaced && (display === undefined || normalizeText(display) === normalizeText(text as string))) {
            push(str(coding?.system), str(coding?.code), text);
            textPlaced = true;
          } else {
            push(str(coding?.system), str(coding?.code), display);
          }
        }
        if (!textPlaced) {
          push(undefined, undefined, text);
        }
        break;
      }
      case 'Identifier':
        push(str(v.system), str(v.value), str(v.type?.text));
        break;
      case 'ContactPoint':
        push(str(v.system), str(v.value), undefined);
        break;
      default:
        // Coding, and anything else shaped like one.
        if ('code' in v || 'system' in v) {
          push(str(v.system), str(v.code), str(v.display));
        } else if ('value' in v && typeof v.value !== 'object') {
          push(str(v.system), str(String(v.value)), undefined);
        }
    }
  }
}

function addStringRows(rows: SearchIndexRows, param: string, grp: number, values: TypedValue[]): void {
  const seen = new Set<string>();
  const push = (value: unknown): void => {
    if (typeof value !== 'string' || value === '') {
      return;
    }
    const norm = normalizeText(value);
    const original = truncate(value, MAX_INDEXED_STRING);
    const exact = original === norm ? null : original;
    const key = `${norm}\0${exact}`;
    if (!seen.has(key)) {
      seen.add(key);
      rows.string.push({ param, grp, norm, exact });
    }
  };
  const pushAll = (value: unknown): void => {
    if (Array.isArray(value)) {
      value.forEach(push);
    } else {
      push(value);
    }
  };
  for (const { type, value } of values) {
    if (typeof value === 'string') {
      push(value);
    } else if (value && typeof value === 'object') {
      const v = value as Obj;
      if (type === 'HumanName' || 'family' in v || 'given' in v) {
        pushAll(v.family);
        pushAll(v.given);
        pushAll(v.prefix);
        pushAll(v.suffix);
        push(v.text);
        if (Array.isArray(v.given) && v.given.length > 0 && typeof v.family === 'string') {
          push([...v.given, v.family].join(' '));
        }
      } else if (type === 'Address' || 'line' in v || 'city' in v || 'postalCode' in v) {
        pushAll(v.line);
        push(v.city);
        push(v.district);
        push(v.state);
        push(v.postalCode);
        push(v.country);
        push(v.text);
      } else {
        push(v.text);
      }
    }
  }
}

const HISTORY_SUFFIX = /\/_history\/[^/]*$/;

/** "Type/id" for local references (without a version), otherwise the reference as written. */
export function normalizeReference(reference: string): string {
  const ref = HISTORY_SUFFIX.test(reference) ? reference.replace(HISTORY_SUFFIX, '') : reference;
  return truncateUtf8(ref, MAX_INDEXED_BYTES);
}

function addReferenceRows(rows: SearchIndexRows, param: string, grp: number, values: TypedValue[]): void {
  const seen = new Set<string>();
  const push = (ref: string): void => {
    if (!seen.has(ref)) {
      seen.add(ref);
      rows.reference.push({ param, grp, ref });
    }
  };
  for (const { value } of values) {
    if (typeof value === 'string') {
      // canonical / uri references; "url|version" is also findable by its plain url.
      push(truncateUtf8(value, MAX_INDEXED_BYTES));
      const bar = value.indexOf('|');
      if (bar > 0) {
        push(truncateUtf8(value.slice(0, bar), MAX_INDEXED_BYTES));
      }
    } else if (value && typeof value === 'object') {
      const v = value as Obj;
      const reference = str(v.reference);
      if (reference) {
        push(normalizeReference(reference));
      }
      if (v.identifier && typeof v.identifier === 'object' && grp === 0) {
        addTokenRows(rows, `${param}:identifier`, 0, [{ type: 'Identifier', value: v.identifier }]);
      }
    }
  }
}

function addDateRows(rows: SearchIndexRows, param: string, grp: number, values: TypedValue[]): void {
  const push = (low: string, high: string): void => {
    rows.date.push({ param, grp, low, high });
  };
  const pushString = (value: unknown): void => {
    const range = typeof value === 'string' ? parseDateRange(value) : undefined;
    if (range) {
      push(toIso(range.low), toIso(range.high));
    }
  };
  for (const { value } of values) {
    if (typeof value === 'string') {
      pushString(value);
    } else if (value && typeof value === 'object') {
      const v = value as Obj;
      if ('start' in v || 'end' in v) {
        const start = typeof v.start === 'string' ? parseDateRange(v.start) : undefined;
        const end = typeof v.end === 'string' ? parseDateRange(v.end) : undefined;
        if (start || end) {
          push(start ? toIso(start.low) : '-infinity', end ? toIso(end.high) : 'infinity');
        }
      } else if (Array.isArray(v.event) || v.repeat) {
        // Timing: each event, and the bounds period if any.
        (v.event ?? []).forEach(pushString);
        const bounds = v.repeat?.boundsPeriod;
        if (bounds) {
          addDateRows(rows, param, grp, [{ type: 'Period', value: bounds }]);
        }
      }
    }
  }
}

function numberString(value: unknown): string | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? String(value) : undefined;
}

function addNumberRows(rows: SearchIndexRows, param: string, grp: number, values: TypedValue[]): void {
  for (const { value } of values) {
    const n = numberString(value);
    if (n !== undefined) {
      rows.number.push({ param, grp, low: n, high: n });
    } else if (value && typeof value === 'object') {
      const v = value as Obj;
      const single = numberString(v.value);
      if (single !== undefined) {
        rows.number.push({ param, grp, low: single, high: single });
      } else if (v.low || v.high) {
        const low = numberString(v.low?.value) ?? '-Infinity';
        const high = numberString(v.high?.value) ?? 'Infinity';
        rows.number.push({ param, grp, low, high });
      }
    }
  }
}

function addQuantityRows(rows: SearchIndexRows, param: string, grp: number, values: TypedValue[]): void {
  for (const { value } of values) {
    const n = numberString(value);
    if (n !== undefined) {
      rows.quantity.push({ param, grp, low: n, high: n, system: null, unitCode: null, unit: null });
      continue;
    }
    if (!value || typeof value !== 'object') {
      continue;
    }
    const v = value as Obj;
    const single = numberString(v.value);
    if (single !== undefined) {
      if (typeof v.currency === 'string') {
        rows.quantity.push({
          param,
          grp,
          low: single,
          high: single,
          system: 'urn:iso:std:iso:4217',
          unitCode: v.currency,
          unit: null,
        });
      } else {
        rows.quantity.push({ param, grp, low: single, high: single, ...units(v) });
      }
    } else if (v.low || v.high) {
      const low = numberString(v.low?.value) ?? '-Infinity';
      const high = numberString(v.high?.value) ?? 'Infinity';
      rows.quantity.push({ param, grp, low, high, ...units(v.low ?? v.high) });
    }
  }
}

function units(q: Obj): { system: string | null; unitCode: string | null; unit: string | null } {
  const system = str(q.system) ?? null;
  const unitCode = str(q.code) ?? null;
  const unit = str(q.unit) ?? null;
  return { system, unitCode, unit: unit === unitCode ? null : unit };
}

function addUriRows(rows: SearchIndexRows, param: string, values: TypedValue[]): void {
  const seen = new Set<string>();
  for (const { value } of values) {
    if (typeof value === 'string' && value !== '' && !seen.has(value)) {
      seen.add(value);
      rows.uri.push({ param, value: truncateUtf8(value, MAX_INDEXED_BYTES) });
    }
  }
}
