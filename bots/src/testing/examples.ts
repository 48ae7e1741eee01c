// Test helper: reads the example instances of fhir/profiles/examples (the programme PlanDefinitions, CarePlans, Goals, alerts).
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Resource } from '@medplum/fhirtypes';

export const EXAMPLES_DIR = fileURLToPath(new URL('../../../fhir/profiles/examples/', import.meta.url));

/** A fresh copy of fhir/profiles/examples/<name>.json. */
export function readExample<T extends Resource>(name: string): T {
  return JSON.parse(readFileSync(`${EXAMPLES_DIR}${name}.json`, 'utf8')) as T;
}

/** The names (without .json) of every example file. */
export function exampleNames(): string[] {
  return readdirSync(EXAMPLES_DIR)
    .filter((file) => file.endsWith('.json'))
    .map((file) => file.slice(0, -'.json'.length))
    .sort();
}
