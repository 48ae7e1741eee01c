// Reads the Parameters body of $acknowledge, $resolve and $escalate: a note and a practitioner reference (400 on anything else).
import { badRequest, OperationOutcomeError } from '@medplum/core';
import type { Parameters, ParametersParameter, Practitioner, PractitionerRole, Reference } from '@medplum/fhirtypes';

export const MAX_NOTE_LENGTH = 2000;

const PRACTITIONER_REFERENCE = /^(Practitioner|PractitionerRole)\/[A-Za-z0-9\-.]{1,64}$/;

export type PractitionerReference = Reference<Practitioner | PractitionerRole> & { reference: string };

export interface AlertOperationInput {
  note?: string;
  practitioner?: PractitionerReference;
}

export interface ParameterRules {
  note: 'required' | 'optional';
  practitioner: 'required' | 'optional';
}

function fail(text: string, expression?: string): never {
  throw new OperationOutcomeError(badRequest(text, expression));
}

function readNote(parameter: ParametersParameter): string {
  const value = parameter.valueString ?? parameter.valueMarkdown;
  if (typeof value !== 'string') {
    fail('Parameter "note" must be a valueString', 'Parameters.parameter.note');
  }
  const note = value.trim();
  if (!note) {
    fail('Parameter "note" must not be empty', 'Parameters.parameter.note');
  }
  if (note.length > MAX_NOTE_LENGTH) {
    fail(`Parameter "note" is longer than ${MAX_NOTE_LENGTH} characters`, 'Parameters.parameter.note');
  }
  return note;
}

function readPractitioner(parameter: ParametersParameter): PractitionerReference {
  const reference = parameter.valueReference?.reference;
  if (typeof reference !== 'string' || !PRACTITIONER_REFERENCE.test(reference)) {
    fail(
      'Parameter "practitioner" must be a valueReference to Practitioner/<id> or PractitionerRole/<id>',
      'Parameters.parameter.practitioner'
    );
  }
  return { reference, ...(parameter.valueReference?.display ? { display: parameter.valueReference.display } : {}) };
}

/** The operation's input from a Parameters body (an empty body is no parameters). */
export function readAlertParameters(body: unknown, rules: ParameterRules): AlertOperationInput {
  const empty = body === undefined || body === null || (typeof body === 'object' && Object.keys(body).length === 0);
  if (
    !empty &&
    (typeof body !== 'object' || Array.isArray(body) || (body as Parameters).resourceType !== 'Parameters')
  ) {
    fail('The body must be a Parameters resource');
  }
  const parameters = empty ? [] : ((body as Parameters).parameter ?? []);
  if (!Array.isArray(parameters)) {
    fail('Parameters.parameter must be an array');
  }
  const input: AlertOperationInput = {};
  const seen = new Set<string>();
  for (const parameter of parameters) {
    const name = (parameter as ParametersParameter | undefined)?.name;
    if (name !== 'note' && name !== 'practitioner') {
      fail(`Unknown parameter "${String(name).slice(0, 100)}": expected "note" or "practitioner"`);
    }
    if (seen.has(name)) {
      fail(`Parameter "${name}" given more than once`);
    }
    seen.add(name);
    if (name === 'note') {
      input.note = readNote(parameter);
    } else {
      input.practitioner = readPractitioner(parameter);
    }
  }
  for (const name of ['note', 'practitioner'] as const) {
    if (rules[name] === 'required' && input[name] === undefined) {
      fail(`Parameter "${name}" is required`, `Parameters.parameter.${name}`);
    }
  }
  return input;
}
