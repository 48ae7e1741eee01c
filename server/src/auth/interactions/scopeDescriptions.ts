// Plain-English descriptions of requested scopes, for the consent page.
import { parseSmartScope } from '../smartScopes.ts';

const FIXED: Readonly<Record<string, string>> = {
  openid: 'Know who you are when you sign in',
  fhirUser: 'See your name and role on this service',
  profile: 'See your name',
  offline_access: 'Stay connected until you disconnect it, even when you are not using it',
  online_access: 'Stay connected while you are signed in',
  launch: 'Open with the patient record you are working on',
  'launch/patient': 'Work with one patient record at a time',
  'launch/encounter': 'Open with the current encounter',
};

const TYPE_WORDS: Readonly<Record<string, string>> = {
  '*': 'all health records',
  Observation: 'readings and measurements',
  Patient: 'patient details',
  Condition: 'conditions and diagnoses',
  DetectedIssue: 'alerts',
  Communication: 'messages',
  QuestionnaireResponse: 'check-in answers',
  Device: 'devices',
  CarePlan: 'care plans',
  Encounter: 'encounters',
  MedicationRequest: 'medicines',
  Practitioner: 'staff details',
};

function actionWords(interactions: ReadonlySet<string>): string {
  const can: string[] = [];
  if (interactions.has('read') || interactions.has('search')) {
    can.push('see');
  }
  if (interactions.has('create')) {
    can.push('add');
  }
  if (interactions.has('update')) {
    can.push('change');
  }
  if (interactions.has('delete')) {
    can.push('delete');
  }
  return can.length > 1 ? `${can.slice(0, -1).join(', ')} and ${can.at(-1)}` : (can[0] ?? 'use');
}

/** One sentence per scope, e.g. "See and add readings and measurements of the selected patient". */
export function describeScope(scope: string): string {
  if (Object.hasOwn(FIXED, scope)) {
    return FIXED[scope];
  }
  const parsed = parseSmartScope(scope);
  if (!parsed) {
    return scope;
  }
  const what = TYPE_WORDS[parsed.resourceType] ?? `${parsed.resourceType} records`;
  const whose = parsed.context === 'patient' ? 'of the selected patient' : 'that you can see';
  const filter = parsed.query ? ` (only where ${parsed.query})` : '';
  const sentence = `${actionWords(parsed.interactions)} ${what} ${whose}${filter}`;
  return sentence.charAt(0).toUpperCase() + sentence.slice(1);
}
